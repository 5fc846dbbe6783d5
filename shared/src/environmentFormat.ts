/**
 * The requirements and conda renderers moved to environmentExport/, which judges every pin
 * first (pins no index has become comments). Kept so existing importers need not change.
 */
export { toCondaYaml, toRequirements, normalizeName } from './environmentExport/index';
