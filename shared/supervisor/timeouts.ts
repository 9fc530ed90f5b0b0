/** Settles `work` as an outcome status: succeeded, failed (its message) or timeout after `ms`. */
export async function runWithin(work: Promise<unknown>, ms: number): Promise<{ status: 'succeeded' | 'failed' | 'timeout'; error: string | null }> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<{ status: 'timeout'; error: string }>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout', error: `no outcome within ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => ({ status: 'succeeded' as const, error: null }),
        (err: unknown) => ({ status: 'failed' as const, error: err instanceof Error ? err.message : String(err) }),
      ),
      limit,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
