import {
  getMetadataStorage, MetadataStorage, validateOrReject, ValidationArguments, ValidationError, ValidationTypes, ValidatorOptions,
} from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';

/**
 * class-validator on GraphQL arguments, as type-graphql runs it (objects only, the same options,
 * the same ArgumentValidationError), with a fast path for arguments that pass.
 *
 * The rules stay the decorators' (one owner) and every refusal is class-validator's own, word for
 * word. What changes is the cost of an argument that passes: class-validator looks up a class's
 * rules on every call (a filter over its metadata and an `instanceof` against every validated
 * class, for the inherited rules), then builds an error object per property and a promise per
 * call. Here each class's rules are looked up once, and a call runs only the decorators' own
 * validate functions (the functions class-validator would call, with the same arguments); when one
 * of them says no, or returns a promise, class-validator runs in full and words the error.
 *
 * Measured in-process on a unit lookup (bench:execution): class-validator was ~12% of the CPU of
 * one execution (a profile of `unit(code, at)`); see the commit for the before/after.
 *
 * ValidateNested on a single object (a list's filter) is followed into the object's own class.
 * A class whose rules this path does not model (nested lists, IsDefined, validateIf, each,
 * groups, `always`, a conditional other than IsOptional) always goes to class-validator.
 */

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

const OPTIONS: ValidatorOptions = { forbidUnknownValues: false, skipMissingProperties: true };

interface PropertyCheck {
  property: string;
  /** Custom validations of the property, each with the validate function class-validator calls. */
  rules: { metadata: ValidationMetadata; validate: (value: unknown, args: ValidationArguments) => boolean | Promise<boolean> }[];
  /** ValidateNested (not each): an object value is checked by its own class's rules. */
  nested: boolean;
}

/** A class's checks, or null when the class has a rule the fast path does not model. */
type ClassChecks = PropertyCheck[] | null;

const isValidated = (value: unknown): value is object => value !== null && typeof value === 'object';

/** The rules of `target` as class-validator's executor gathers them for our options (no groups, `always` off, inherited rules included). */
function checksOf(target: Function): ClassChecks {
  const storage = getMetadataStorage();
  const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(target, undefined as unknown as string, false, false, undefined));
  const checks: PropertyCheck[] = [];
  for (const [property, all] of Object.entries(grouped)) {
    const rules: PropertyCheck['rules'] = [];
    let nested = false;
    for (const metadata of all) {
      if (metadata.type === ValidationTypes.WHITELIST) continue;
      if (metadata.each || metadata.validateIf || metadata.always !== undefined || (metadata.groups?.length ?? 0) > 0) return null;
      // IsOptional: a missing value skips the property, as skipMissingProperties does anyway.
      if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION && metadata.name === 'isOptional') continue;
      if (metadata.type === ValidationTypes.NESTED_VALIDATION) {
        nested = true;
        continue;
      }
      if (metadata.type !== ValidationTypes.CUSTOM_VALIDATION) return null;
      for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
        const instance = constraint.instance as { validate(value: unknown, args: ValidationArguments): boolean | Promise<boolean> };
        rules.push({ metadata, validate: (value, args) => instance.validate(value, args) });
      }
    }
    if (rules.length > 0 || nested) checks.push({ property, rules, nested });
  }
  return checks;
}

/**
 * Whether every rule holds for `object`, or undefined when a rule answered with a promise
 * (class-validator decides); `nestedPasses` checks a nested object the same way (false: not known to pass).
 */
function passes(object: Record<string, unknown>, checks: PropertyCheck[], nestedPasses: (value: object) => boolean): boolean | undefined {
  for (const { property, rules, nested } of checks) {
    const value = object[property];
    // skipMissingProperties: null and undefined are not checked (no IsDefined here: checksOf).
    if (value === null || value === undefined) continue;
    // A nested value that is no single object (a list, a scalar) is class-validator's to word.
    if (nested && (typeof value !== 'object' || Array.isArray(value) || !nestedPasses(value))) return false;
    for (const { metadata, validate } of rules) {
      const args: ValidationArguments = { targetName: object.constructor?.name, property: metadata.propertyName, object, value, constraints: metadata.constraints };
      const ok = validate(value, args);
      if (typeof ok !== 'boolean') return undefined;
      if (!ok) return false;
    }
  }
  return true;
}

/** The validateFn for type-graphql's buildSchema: one per schema, its class rules kept in its closure. */
export function argumentValidator(): (value: unknown) => Promise<void> {
  const byClass = new Map<Function, ClassChecks>();
  const fastPasses = (value: object): boolean => {
    const target = value.constructor;
    let checks = byClass.get(target);
    if (checks === undefined) {
      checks = checksOf(target);
      byClass.set(target, checks);
    }
    return checks !== null && passes(value as Record<string, unknown>, checks, fastPasses) === true;
  };
  const full = async (value: object) => {
    try {
      await validateOrReject(value, OPTIONS);
    } catch (e) {
      throw new ArgumentValidationError(e as ValidationError[]);
    }
  };
  return async (value) => {
    if (!isValidated(value)) return;
    if (Array.isArray(value)) {
      const items = value.filter(isValidated);
      if (!items.every(fastPasses)) await Promise.all(items.map(full));
    } else if (!fastPasses(value)) await full(value);
  };
}
