import { ArrayType, Entity, ManyToOne, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { Source } from '../provenance/source.entity';

/**
 * An integrator's write credential. Only a SHA-256 of the secret is stored: keys are 32 random
 * bytes, so a fast hash is safe and keeps per-request checks cheap.
 */
@Entity({ tableName: 'api_key' })
export class ApiKey {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 64, unique: true })
  name!: string;

  /** Public lookup part of the key (`dvc_<prefix>_<secret>`). */
  @Property({ type: 'string', length: 16, unique: true })
  prefix!: string;

  @Property({ type: 'string', length: 64 })
  secretHash!: string;

  /** Unit codes the key may write, with everything below them; '*' is the whole nation. */
  @Property({ type: ArrayType })
  unitCodes!: string[];

  /** May write the procedure catalogue (sectors, procedures): national sources only. */
  @Property({ type: 'boolean', default: false })
  catalogue: boolean = false;

  /** Facts pushed with this key are recorded under this source. */
  @ManyToOne(() => Source, { ref: true })
  source!: Ref<Source>;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date;
}
