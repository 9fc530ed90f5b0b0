import type { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ActionParams, Context } from 'moleculer';
import type { AppContext } from '../../shared/apps/index.js';
import { Caller, type CallerRequest, type PermissionRules } from '../../shared/auth/index.js';
import type { Config } from '../../shared/config/index.js';
import { cbError } from '../../shared/errors/index.js';
import { restRoute, RestReply, type ParamsOf, type ResponseMeta, type RestMeta, type RestParams } from '../../shared/gateway/index.js';
import { nodeState } from '../../shared/runtime/index.js';
import { deadlineOf } from '../../shared/sql/index.js';
import { appsOf } from './apps.js';
import { callEntityManager } from './call-em.js';
import { assertWholeDestroy, checkRecordAccess } from './record-limits.js';

/**
 * Who may call an action, checked once before its handler runs:
 * - `'public'`: anybody (the caller is anonymous; e.g. sign-in);
 * - `'signed-in'`: a valid bearer token, nothing more (the handler scopes what it shows);
 * - a permission (the default): `caller.assertCan(resource, action, rules)`, where `resource` defaults
 *   to the action's resource (for `*`, the collection in the path; for `*.*`, the association's target
 *   collection, or its source for link actions) and `action` to the action's name. For `*` and `*.*` the
 *   role's scope and field permissions are then merged into the params (services/support/record-limits.ts).
 */
export type Access = 'public' | 'signed-in' | { readonly resource?: string; readonly action?: string; readonly rules?: PermissionRules };

export interface RestActionSpec<S> {
  readonly resource: string;
  readonly action: string;
  readonly write: boolean;
  /** The fastest-validator schema (`as const`): validated by Moleculer, and the handler's params type. */
  readonly params?: S;
  readonly upload?: boolean;
  /** The resource is also a collection: its undeclared actions are the records actions (RestDeclaration.collection). */
  readonly collection?: boolean;
  readonly access?: Access;
  /** The action belongs to the main app: other apps get a 404 with this message. */
  readonly mainAppOnly?: string;
  /** Runs when the caller is refused (or the app cannot be opened), e.g. to remove a staged upload. */
  onRefused?(params: RestInput<S>, config: Config): void | Promise<void>;
}

/** A multipart file part, handed over while the gateway stages it (`upload: true` actions). */
export interface UploadedPart {
  readonly field: string;
  readonly fileName: string;
  readonly mimeType: string;
  readonly stream: Readable | undefined;
}

/** What a handler receives as params: the validated ones (typed from the schema) and the REST ones. */
export type RestInput<S> = (S extends object ? ParamsOf<S> : unknown) & RestParams & { readonly $upload?: UploadedPart };

/** Every REST handler body: the app, the checked caller, the call's EntityManager, the params. */
export type RestHandler<P, This = unknown> = (this: This, app: AppContext, caller: Caller, em: EntityManager, params: P) => unknown;

type Meta = Partial<RestMeta> & ResponseMeta & { $upload?: { field: string; fileName: string; mimeType: string } };

/**
 * A REST action of an app: resolves the app (the node's guard decides about sub-applications), checks
 * the caller once, forks the call's EntityManager and runs `run(app, caller, em, params)`. A
 * `RestReply` answer sets the HTTP status/type/headers. The one place permissions are applied.
 */
export function restAction<const S extends ActionParams | undefined = undefined, This = unknown>(spec: RestActionSpec<S>, run: RestHandler<RestInput<S>, This>) {
  const access = spec.access ?? {};
  return restRoute(
    { resource: spec.resource, action: spec.action, write: spec.write, ...(spec.upload ? { upload: true } : {}), ...(spec.collection ? { collection: true } : {}) },
    {
      ...(spec.params ? { params: spec.params as ActionParams } : {}),
      async handler(this: This, ctx: Context<RestParams, Meta>) {
        // The call's timeout runs from when Moleculer took it (startHrTime): the work ends a margin
        // before the caller's 504, so a timed-out write has rolled back (shared/sql deadline).
        const elapsed = ctx.startHrTime ? process.hrtime(ctx.startHrTime) : [0, 0];
        const deadline = deadlineOf(ctx.options?.timeout, Date.now() - (elapsed[0]! * 1000 + elapsed[1]! / 1e6));
        const meta = ctx.meta;
        const upload = meta.$upload ? { ...meta.$upload, stream: (ctx.stream as unknown as Readable | null) ?? undefined } : undefined;
        const params = (upload ? { ...ctx.params, $upload: upload } : ctx.params) as RestInput<S>;
        const request: CallerRequest = {
          action: ctx.action?.name ?? `${spec.resource}:${spec.action}`,
          authorization: meta.authorization,
          idempotencyKey: meta.idempotencyKey,
          authenticator: meta.authenticator,
          requestId: meta.requestId,
          timezone: meta.timezone,
          role: meta.role,
          ip: meta.ip,
          ...(deadline !== undefined ? { deadline } : {}),
        };
        let app: AppContext;
        let caller: Caller;
        let em: EntityManager;
        let input = params;
        try {
          const name = meta.app ?? 'main';
          if (spec.mainAppOnly && name !== 'main') throw cbError('CB_ERR_HTTP_NOT_FOUND', spec.mainAppOnly);
          app = await appsOf(ctx.broker).get(name);
          em = callEntityManager(ctx);
          caller = access === 'public' ? Caller.anonymous(request) : await app.signedIn(em, request);
          // `*` is any collection, `*.*` any association resource: checked on the collection it reads
          // or writes, whose scope and field permissions are combined with the request's params.
          if (typeof access === 'object') {
            input = checkRecordAccess(app, caller, spec, access, params);
            await assertWholeDestroy(app, caller, em, spec, params, input);
          }
        } catch (err) {
          upload?.stream?.resume();
          await spec.onRefused?.(params, nodeState(ctx.broker).config);
          throw err;
        }
        const result = await run.call(this, app, caller, em, input);
        if (result instanceof RestReply) {
          Object.assign(ctx.meta, result.meta());
          return result.body;
        }
        return result;
      },
    },
  );
}
