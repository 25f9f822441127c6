/** Tells the primary that this process exits for a reason a restart cannot fix. */
export function tellPrimary(reason: string): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send({ type: 'conveyor:fatal', reason }, undefined, undefined, () => resolve());
  });
}
