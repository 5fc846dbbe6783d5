/**
 * Hugging Face Trainer's `trainer_state.json` (TrainerState.save_to_json: json.dumps of the
 * dataclass, so NaN is written bare). `log_history` is a list of dicts, one per log / evaluate /
 * end-of-training call: `step`, `epoch` and that call's metrics (`loss`, `learning_rate`,
 * `grad_norm`; `eval_loss`, `eval_accuracy`, `eval_runtime`...; `train_runtime`, `train_loss`,
 * `total_flos` at the end). Each numeric key but step / epoch is a series over `step`.
 * `best_metric` (set when metric_for_best_model is) is one more metric, at `best_global_step`
 * when the Trainer recorded it (newer versions), else at step 0.
 */
import { isRecord, numberOfLeaf, parseJsonFile } from './JsonMetrics';
import { SeriesCollector, invalidMetricsFile, type MetricsFile } from './MetricsFile';

const POSITION_KEYS = new Set(['step', 'epoch']);

export function readTrainerState(relPath: string, bytes: Buffer): MetricsFile {
  const state = parseJsonFile(relPath, bytes);
  if (!isRecord(state)) throw invalidMetricsFile(relPath, 'not a Trainer state: the top level is not an object');
  const history = state['log_history'];
  if (!Array.isArray(history)) throw invalidMetricsFile(relPath, 'not a Trainer state: no "log_history" list');
  const out = new SeriesCollector();
  history.forEach((entry: unknown, i) => {
    if (!isRecord(entry)) throw invalidMetricsFile(relPath, `log_history[${i}] is not an object`);
    const step = numberOfLeaf(entry['step']);
    if (step === null) throw invalidMetricsFile(relPath, `log_history[${i}] has no numeric "step"`);
    for (const [key, value] of Object.entries(entry)) {
      const v = numberOfLeaf(value);
      if (v !== null && !POSITION_KEYS.has(key)) out.add(key, step, v);
    }
  });
  const best = numberOfLeaf(state['best_metric']);
  if (best !== null) out.add('best_metric', numberOfLeaf(state['best_global_step']) ?? 0, best);
  return { format: 'hf-trainer-state', metrics: out.metrics() };
}
