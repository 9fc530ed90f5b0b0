/**
 * How an action offers itself on the REST API, declared as `rest` on the Moleculer action and
 * carried to every gateway through the service registry (no gateway change for a new resource).
 */
export interface RestDeclaration {
  /** Resource name as in `/api/<resource>:<action>`; `collections.fields` for `/api/collections/<name>/fields:<action>`. */
  readonly resource: string;
  readonly action: string;
  /**
   * Reads answer GET and POST (NocoBase's client uses both). Writes answer only POST, PUT, PATCH and
   * DELETE: a GET never creates, updates or destroys.
   */
  readonly write: boolean;
  /**
   * Accepts multipart/form-data: each file part is first handed to the action as a stream (Moleculer
   * 0.15 carries it across nodes as `ctx.stream`; params = the request's query params, `ctx.meta.$upload`
   * = {field, fileName, mimeType}); what it answers (e.g. where it staged the file) arrives in the real
   * call as `params.files[<field>]`, the other parts as `values`.
   */
  readonly upload?: boolean;
  /**
   * The resource is also a collection (users, attachments): the actions no declaration of it names
   * are served by the `*` records actions.
   */
  readonly collection?: boolean;
}

/** The envelope every REST action returns and the gateway sends as is (NocoBase's shape). */
export interface Envelope<T = unknown> {
  readonly data: T;
  readonly meta?: Record<string, unknown>;
}

/** The params a REST action receives: the query string's fields, the body as `values`, the path's indexes. */
export interface RestParams {
  readonly [key: string]: unknown;
  readonly values?: unknown;
  readonly filterByTk?: string;
  readonly associatedIndex?: string;
}

/** What the gateway puts in `ctx.meta` for every REST call. */
export interface RestMeta {
  /** The app the request is for: `X-App` header, default `main`. */
  app: string;
  requestId: string;
  authorization?: string;
  idempotencyKey?: string;
  authenticator?: string;
  /** The client's address (Fastify's `req.ip`; set trustProxy behind a proxy), for sign-in limits. */
  ip?: string;
  /** `X-Role`: the role the caller acts with (`__union__`: all of its roles). */
  role?: string;
  /** `X-Timezone` (NocoBase's client sends `+08:00`): the zone of date filter values without their own. */
  timezone?: string;
}

export interface ErrorBody {
  readonly errors: ReadonlyArray<{ readonly message: string; readonly code: string }>;
}
