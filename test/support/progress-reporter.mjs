// Tells test/run.mjs, one JSON line per event, which test starts and how each ends, while the
// file runs: run.mjs counts them for its summary line and watches how long the running one takes.
export default async function* progressReporter(source) {
  for await (const { type, data } of source) {
    if (type === 'test:enqueue' || type === 'test:dequeue') {
      yield `${JSON.stringify({ type, nesting: data.nesting, name: data.name })}\n`;
    } else if (type === 'test:pass' || type === 'test:fail') {
      yield `${JSON.stringify({
        type,
        nesting: data.nesting,
        name: data.name,
        suite: data.details?.type === 'suite',
        skipped: data.skip !== undefined || data.todo !== undefined,
      })}\n`;
    }
  }
}
