/**
 * The read shapes of `npm run bench:reads`, each spelled three ways for the same answer: the
 * gateway's GraphQL, PostGraphile's GraphQL (its generated schema with connection-filter), and a
 * shape name plus variables for the hand-written SQL server (bench/reads/sql-baseline.server.ts),
 * which answers with the gateway's JSON so the bench can check that the two agree.
 *
 * Variables cycle through a list per shape (codes, dates, pages) so that no server answers one
 * cached row over and over; every server gets the same sequence. The default world (the small
 * simulator) has services for old provinces 30, 31, 72, 80, 95, 96 and their successors.
 */
export type ServerKind = 'gateway' | 'sql' | 'postgraphile';

export interface ReadShape {
  name: string;
  /** What the shape reads, for the printed table. */
  description: string;
  gateway: string;
  postgraphile: string;
}

/** Old provinces (until 2025-06-30) read on 2024-01-01, and units of the new map read on 2025-08-01 (46 is Huế, renamed; 80 is Long An, then Tây Ninh). */
export const UNIT_LOOKUPS: { code: string; at: string }[] = [
  ...['01', '31', '46', '72', '79', '80', '92', '96', '30', '95'].map((code) => ({ code, at: '2024-01-01' })),
  ...['01', '31', '46', '72', '79', '80', '92', '96'].map((code) => ({ code, at: '2025-08-01' })),
];

/** Units with services in the default world, each on a date it held the code. */
export const SERVICE_UNITS: { code: string; at: string }[] = [
  { code: '96', at: '2024-01-01' }, { code: '96', at: '2025-08-01' }, { code: '95', at: '2024-01-01' }, { code: '80', at: '2024-01-01' },
  { code: '80', at: '2025-08-01' }, { code: '72', at: '2024-01-01' }, { code: '30', at: '2024-01-01' }, { code: '31', at: '2025-08-01' },
];

export const UNITS_PAGE_SIZE = 50;
/** Pages of the units list walked (and then cycled through) by the bench. */
export const UNITS_PAGES = 20;
export const UNITS_PAGE_DATE = '2024-01-01';

const VALID_ON_AT = '{ and: [{ or: [{ validFrom: { isNull: true } }, { validFrom: { lessThanOrEqualTo: $at } }] }, { or: [{ validTo: { isNull: true } }, { validTo: { greaterThanOrEqualTo: $at } }] }] }';

export const UNIT_BY_CODE: ReadShape = {
  name: 'unit by code',
  description: 'unit(code, at) with its parent',
  gateway: `query UnitByCode($code: String!, $at: LocalDate) {
  unit(code: $code, at: $at) { id code name kind validFrom validTo parent { code name } }
}`,
  postgraphile: `query UnitByCode($code: String!, $at: Date!) {
  allUnits(condition: { code: $code }, filter: ${VALID_ON_AT}, first: 1) {
    nodes { id code name kind validFrom validTo unitByParentId { code name } }
  }
}`,
};

export const PROCEDURE_BY_CODE: ReadShape = {
  name: 'procedure by code',
  description: 'procedures(filter: {code}) with its sector',
  gateway: `query ProcedureByCode($code: String!) {
  procedures(filter: { code: $code }, first: 1) { nodes { id code name tier essential eligibleFullOnline sector { code name } } }
}`,
  postgraphile: `query ProcedureByCode($code: String!) {
  procedureByCode(code: $code) { id code name tier essential eligibleFullOnline sectorBySectorId { code name } }
}`,
};

export const UNITS_PAGE: ReadShape = {
  name: 'units page',
  description: `units(filter: {kind: COMMUNE, validAt}, first: ${UNITS_PAGE_SIZE}, after), ${UNITS_PAGES} pages`,
  gateway: `query UnitsPage($at: LocalDate, $after: String) {
  units(filter: { kind: COMMUNE, validAt: $at }, first: ${UNITS_PAGE_SIZE}, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id code name kind validFrom validTo }
  }
}`,
  postgraphile: `query UnitsPage($at: Date!, $after: Cursor) {
  allUnits(condition: { kind: COMMUNE }, filter: ${VALID_ON_AT}, orderBy: [CODE_ASC, ID_ASC], first: ${UNITS_PAGE_SIZE}, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id code name kind validFrom validTo }
  }
}`,
};

export const SERVICES_OF_UNIT: ReadShape = {
  name: 'services of a unit',
  description: 'services(filter: {unitCode, unitAt}) with procedure and level on a date',
  gateway: `query ServicesOfUnit($code: String!, $at: LocalDate) {
  services(filter: { unitCode: $code, unitAt: $at }, first: 100) {
    nodes { id procedure { code name } level(at: $at) { taxonomy level validFrom integratedNational } }
  }
}`,
  postgraphile: `query ServicesOfUnit($code: String!, $at: Date!) {
  allUnits(condition: { code: $code }, filter: ${VALID_ON_AT}, first: 1) {
    nodes {
      servicesByUnitId(orderBy: ID_ASC, first: 100) {
        nodes {
          id procedureByProcedureId { code name }
          serviceLevelsByServiceId(filter: { validFrom: { lessThanOrEqualTo: $at } }, orderBy: VALID_FROM_DESC, first: 1) {
            nodes { taxonomy level validFrom integratedNational }
          }
        }
      }
    }
  }
}`,
};

export const READ_SHAPES: ReadShape[] = [UNIT_BY_CODE, PROCEDURE_BY_CODE, UNITS_PAGE, SERVICES_OF_UNIT];
