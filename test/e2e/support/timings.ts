/** How long each step of an e2e spec took, printed after the spec: CI's budget is the suite's wall time. */
export class Timings {
  private readonly steps: [string, number][] = [];

  async timed<T>(label: string, run: () => Promise<T>): Promise<T> {
    const start = Date.now();
    const v = await run();
    this.steps.push([label, Date.now() - start]);
    return v;
  }

  record(label: string, ms: number): void {
    this.steps.push([label, ms]);
  }

  print(title: string): void {
    console.log(`\n  ${title}`);
    for (const [label, ms] of this.steps) console.log(`    ${label.padEnd(60)} ${(ms / 1000).toFixed(1)} s`);
  }
}
