/**
 * A small pipeline that shows the DSL: a function step writing a file artifact, a
 * command step reading it under the step contract, a fan-out over a parameter with
 * its join, and a step that runs only when a condition holds.
 *
 *   npx orchard run examples/pipelines/basics.ts
 *   npx orchard run examples/pipelines/basics.ts --param words=fig,kiwi   # two lines: `total` is skipped
 *   npx orchard runs show <run-id>
 */
import { writeFileSync } from 'node:fs';
import { command, pipeline, step, types } from 'orchard';

/** Writes one word per line. */
const write = step({
  name: 'write',
  inputs: { words: types.list(types.string) },
  outputs: { text: types.file('words') },
  run: ({ inputs, outputs, log }) => {
    writeFileSync(outputs.text, inputs.words.join('\n') + '\n');
    log.metric('words', inputs.words.length);
  },
});

/** Any executable: here `sh` counts the lines and writes the count as a JSON value output. */
const count = command({
  name: 'count',
  command: ['sh', '-c', 'n=$(wc -l < "$ORCHARD_INPUT_TEXT"); echo "$n" > "$ORCHARD_OUTPUT_LINES"; echo "{\\"metric\\": \\"lines\\", \\"value\\": $n}" >> "$ORCHARD_TRACKING"'],
  inputs: { text: types.file('words') },
  outputs: { lines: types.number },
});

/** One instance per word (the fan-out); their outputs join into a list in word order. */
const measure = step({ name: 'measure', inputs: { word: types.string }, outputs: { length: types.number }, run: ({ inputs }) => ({ length: inputs.word.length }) });

const total = step({
  name: 'total',
  inputs: { lengths: types.list(types.number), lines: types.number },
  outputs: { letters: types.number },
  run: ({ inputs, log }) => {
    const letters = inputs.lengths.reduce((a, b) => a + b, 0);
    log.metrics({ letters, lines: inputs.lines });
    console.log(`${inputs.lines} words, ${letters} letters`);
    return { letters };
  },
});

export default pipeline('basics', { params: { words: ['apple', 'banana', 'cherry'] } }, (p) => {
  const w = p.step(write, { inputs: { words: p.params.words } });
  const c = p.step(count, { inputs: { text: w.outputs.text } });
  const m = p.map(measure, { over: p.params.words, item: 'word' });
  p.step(total, { inputs: { lengths: m.outputs.length, lines: c.outputs.lines }, when: c.outputs.lines.gte(3) });
});
