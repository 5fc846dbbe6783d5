import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertInvalidFile, finalOf, fixtureBytes, metricOf, names } from './MetricsTestFixtures';
import { readTrainerState } from './TrainerState';

const PATH = 'hf-output/checkpoint-30/trainer_state.json';
const state = (text: string) => readTrainerState(PATH, Buffer.from(text, 'utf8'));

describe("Hugging Face Trainer's trainer_state.json", () => {
  test('the fixture: train, eval and end-of-training logs as series over `step`', () => {
    const file = readTrainerState(PATH, fixtureBytes(PATH));
    assert.equal(file.format, 'hf-trainer-state');
    assert.deepEqual(names(file), [
      'grad_norm',
      'learning_rate',
      'loss',
      'eval_accuracy',
      'eval_loss',
      'eval_runtime',
      'eval_samples_per_second',
      'eval_steps_per_second',
      'total_flos',
      'train_loss',
      'train_runtime',
      'train_samples_per_second',
      'train_steps_per_second',
      'best_metric',
    ]);
    assert.deepEqual(metricOf(file, 'loss'), { name: 'loss', steps: [10, 20, 30], values: [0.6931, 0.4822, 0.3517] });
    assert.deepEqual(metricOf(file, 'eval_accuracy').steps, [10, 20, 30]);
    assert.ok(Number.isNaN(metricOf(file, 'grad_norm').values[1] as number), 'a bare NaN grad_norm');
    assert.deepEqual(metricOf(file, 'train_runtime'), { name: 'train_runtime', steps: [30], values: [38.4172] });
    assert.deepEqual(metricOf(file, 'best_metric'), { name: 'best_metric', steps: [30], values: [0.8466] });
    assert.equal(finalOf(file, 'eval_loss'), 0.3802651762962341);
  });

  test('no best_metric (no metric_for_best_model): none; no best_global_step: step 0', () => {
    assert.deepEqual(state('{"best_metric": null, "log_history": []}').metrics, []);
    assert.deepEqual(state('{"best_metric": 0.9, "log_history": []}').metrics, [
      { name: 'best_metric', steps: [0], values: [0.9] },
    ]);
  });

  test('truncated or not a Trainer state: invalid-file naming the file', () => {
    const whole = fixtureBytes(PATH).toString('utf8');
    assertInvalidFile(() => state(whole.slice(0, 900)), PATH, /not valid JSON/);
    assertInvalidFile(() => state('[]'), PATH, /top level is not an object/);
    assertInvalidFile(() => state('{"global_step": 3}'), PATH, /no "log_history" list/);
    assertInvalidFile(() => state('{"log_history": [{"loss": 1}]}'), PATH, /log_history\[0\] has no numeric "step"/);
    assertInvalidFile(() => state('{"log_history": [3]}'), PATH, /log_history\[0\] is not an object/);
  });
});
