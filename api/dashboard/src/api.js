// Talking to siloscope's /graphql with the signed-in token.

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Runs a GraphQL operation; resolves to `data`, or rejects with the first error. */
export async function graphql(token, query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`siloscope could not be reached (${error.message})`, "UNREACHABLE");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`siloscope answered ${response.status} without a GraphQL body`, "INTERNAL");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(first.message, (first.extensions && first.extensions.code) || "INTERNAL");
  }
  return body.data;
}
