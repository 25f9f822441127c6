/** The API's error answer. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Reads an error answer. */
export async function errorOf(response: Response): Promise<ErrorBody> {
  return (await response.json()) as ErrorBody;
}

/** The `details.issues[].path` of an error answer. */
export function issuePaths(body: ErrorBody): string[] {
  const issues = (body.error.details?.issues ?? []) as { path: string }[];
  return issues.map((issue) => issue.path);
}
