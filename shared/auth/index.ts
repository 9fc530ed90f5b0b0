export type {
  SqlRunner,
  AuthLogger,
  TokenClaims,
  TokenService,
  TokenFailure,
  PublicUser,
  SignInResult,
  CheckResult,
  PermissionRules,
} from './types.js';
export { TokenError } from './token-error.js';
export { Hs256TokenService, type Hs256TokenOptions } from './hs256-token-service.js';
export { hashPassword, needsRehash, verifyPassword, verifyAgainstDummy, DEFAULT_SCRYPT, MAX_PASSWORD_BYTES, type ScryptParams } from './password.js';
export { ensureRootUser, type RootUserOptions, type RootUserResult } from './root-user.js';
export { AuthService, bearerToken, type AuthServiceOptions, type SignInInput } from './auth-service.js';
export { Caller, type CallerRequest, type RecordLimits } from './caller.js';
export { can, assertCan, canManageUser, READ_ACTIONS, WRITE_ACTIONS, MEMBER_ACTIONS, ROLES, SYSTEM_RULES } from './permissions.js';
export { SignInGuard, DEFAULT_SIGN_IN_LIMITS, tooManyAttempts, type SignInLimits, type SignInGuardOptions } from './sign-in-guard.js';
export { emptyTokenError, invalidTokenError, badCredentialsError, forbiddenError, type AuthErrorData } from './errors.js';
