/**
 * An error a service raises for the caller to see: the transport maps `status` to
 * its HTTP status (REST) or error code (tRPC). `field` names the input field at
 * fault, where there is one; `issues` lists every field at fault when there are several.
 */
export class ServiceError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 503,
    message: string,
    readonly field?: string,
    readonly issues?: readonly { field: string; message: string }[],
  ) {
    super(message);
    this.name = "ServiceError";
  }
}
