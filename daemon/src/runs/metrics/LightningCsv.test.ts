import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readLightningCsv } from './LightningCsv';
import { assertInvalidFile, finalOf, fixtureBytes, metricOf, names } from './MetricsTestFixtures';

const PATH = 'lightning_logs/version_0/metrics.csv';
const lightning = (text: string) => readLightningCsv(PATH, Buffer.from(text, 'utf8'));

describe("Lightning's CSVLogger", () => {
  test('the fixture: sparse rows, a series per metric over `step`, epoch not a metric', () => {
    const file = readLightningCsv(PATH, fixtureBytes(PATH));
    assert.equal(file.format, 'lightning-csv');
    assert.deepEqual(names(file), ['train_loss_step', 'val_acc', 'val_loss', 'train_loss_epoch']);
    assert.deepEqual(metricOf(file, 'train_loss_step').steps, [49, 99, 149, 199, 249, 299]);
    assert.deepEqual(metricOf(file, 'val_acc'), {
      name: 'val_acc',
      steps: [99, 199, 299],
      values: [0.6875, 0.78125, 0.8125],
    });
    assert.equal(finalOf(file, 'val_loss'), 0.46332648396492004);
    assert.equal(finalOf(file, 'train_loss_epoch'), 0.41973236203193665);
  });

  test('a half-written last row (the logger saving) is set aside', () => {
    const whole = fixtureBytes(PATH).toString('utf8');
    const file = lightning(whole.slice(0, whole.length - 8));
    assert.equal(file.truncatedTail, true);
    assert.equal(metricOf(file, 'train_loss_epoch').values.length, 2);
  });

  test('an empty file has logged nothing yet', () => {
    assert.deepEqual(lightning(''), { format: 'lightning-csv', metrics: [] });
  });

  test('damage is invalid-file naming the file', () => {
    assertInvalidFile(() => lightning('epoch,loss\n0,0.5\n'), PATH, /no "step" column/);
    assertInvalidFile(() => lightning('epoch,step,loss\n0,x9,0.5\n'), PATH, /row 1: step "x9" is not a number/);
    assertInvalidFile(() => lightning('epoch,step,loss\n0,9,0.5z\n'), PATH, /row 1: loss "0.5z" is not a number/);
    assertInvalidFile(() => lightning('epoch,step,loss\n0,9\n1,19,0.4\n'), PATH, /row 1 has 2 cells, the header 3/);
  });
});
