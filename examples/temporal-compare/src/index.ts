/**
 * `@quic-multistream/example-temporal-compare`: time-series comparison (dynamic time warping with warping paths and
 * Sakoe-Chiba windows, LCS, Levenshtein edit distance with edit scripts, Euclidean distance), similarity search
 * and motif discovery, a cache keyed by sequence content, and an agent service that compares sequences streamed
 * to it in chunks, answering the distance so far after every chunk.
 * @packageDocumentation
 */
export { type CacheStats, ComparisonCache, type ComparisonCacheOptions } from './cache.js'
export { comparisonKey, functionKey, type KeyOption, type KeySequence } from './cache-key.js'
export { type CompareStreamedOptions, compareStreamed, type StreamedComparison } from './client.js'
export { ComparisonSession, progressBody, type SessionLimits, type SessionState } from './comparison-session.js'
export { absoluteCost, type CostFunction, type CostName, costs, resolveCost, squaredCost } from './cost.js'
export { type AlignedPair, type DtwOptions, type DtwResult, dtw } from './dtw.js'
export { DtwTable } from './dtw-table.js'
export { type EditDistanceOptions, type EditDistanceResult, type EditOperation, editDistance } from './edit-distance.js'
export { CompareErrorCode, type CompareErrorCodeValue } from './errors.js'
export { euclidean, squaredEuclidean } from './euclidean.js'
export { type LcsOptions, type LcsResult, lcs } from './lcs.js'
export {
  CompareChunk,
  CompareFailed,
  CompareOpen,
  type CompareOpenBody,
  CompareProgress,
  type CompareProgressBody,
  CompareResult,
  type CompareResultBody,
  StreamedAlgorithm,
} from './messages.js'
export { findMotifs, type Motif, type MotifOptions } from './motifs.js'
export {
  assertFinite,
  effectiveWindow,
  type ItemEquality,
  type ItemSequence,
  type NumericSequence,
  strictEquals,
} from './sequences.js'
export {
  COMPARE_STREAM,
  type CompareService,
  type CompareServiceOptions,
  type CompareServiceStats,
  startCompareService,
} from './service.js'
export { type NoisySineOptions, noisySine, seededRandom } from './signals.js'
export { findSimilar, type Match, type SimilarityMethod, type SimilarityOptions } from './similarity.js'
