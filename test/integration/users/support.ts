import type { ServiceSchema } from 'moleculer';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import UsersService = require('../../../services/users.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { jsonCaller, type Answer } from '../../support/http';
import { startInProcessNode, type InProcessNode } from '../../support/in-process-node';
import { requireServices } from '../../support/services';

export interface UsersNode {
  /** `call(method, '/api/…', body?, token?)`: root's token unless another (or '' for none) is given. */
  readonly call: (method: string, path: string, body?: unknown, token?: string) => Promise<Answer>;
  /** The token of `account`, or undefined when the sign-in fails. */
  signIn(account: string, password: string): Promise<string | undefined>;
  /** `http://127.0.0.1:<port>` */
  origin(): string;
  node(): InProcessNode;
}

/**
 * One in-process node with the users and data services (and `extra` ones) in its own schema, signed
 * in as root, stopped and dropped after the file's tests: call it at the top of a `describe`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- service schemas of any settings/methods
export function usersNode(prefix: string, extra: ServiceSchema<any, any, any>[] = []): UsersNode {
  const schema = uniqueSchema(prefix);
  let node: InProcessNode | undefined;
  let origin = '';
  let root = '';
  const call = jsonCaller(() => origin, () => root);
  const signIn = async (account: string, password: string) => (await call('POST', '/api/auth:signIn', { account, password }, '')).body.data?.token as string | undefined;
  beforeAll(async () => {
    await requireServices('postgres');
    node = await startInProcessNode(schema, [ApiService, AuthService, DataService, UsersService, ...extra]);
    origin = node.api.replace(/\/api$/, '');
    root = (await signIn('nocobase', 'admin123'))!;
  });
  afterAll(async () => {
    await node?.broker.stop();
    await dropSchemas(schema);
  });
  return { call, signIn, origin: () => origin, node: () => node! };
}
