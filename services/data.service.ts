import { requestsService } from '../shared/runtime/index.js';
import type { Context } from 'moleculer';
import { restAction, type RestMeta } from '../shared/gateway/index.js';
import { version } from '../shared/runtime/version.js';

/**
 * Collections, records and app information (requests role). Collections and records arrive with the
 * data API; `app:getInfo` answers as NocoBase's does, without a token.
 */
const DataService = requestsService({
  name: 'data',
  actions: {
    appInfo: restAction({ resource: 'app', action: 'getInfo', write: false }, {
      handler(ctx: Context) {
        const meta = ctx.meta as Partial<RestMeta>;
        return { data: { database: { dialect: 'postgres' }, version, lang: 'en-US', name: meta.app ?? 'main', theme: 'default' } };
      },
    }),
  },
});

export = DataService;
