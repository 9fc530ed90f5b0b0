import { randomBytes } from 'node:crypto';
import { hashPassword, MAX_PASSWORD_BYTES } from '../auth/index.js';
import { cbError } from '../errors/index.js';
import type { AppRootUser } from './types.js';

/** Shortest password a sub-app's root may have (as INIT_ROOT_PASSWORD outside a single process). */
export const MIN_APP_ROOT_PASSWORD = 12;

/** What applications:create answers about the root user: the password only when it was generated. */
export interface CreatedRootUser {
  readonly email: string;
  readonly username: string;
  readonly password?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const USERNAME = /^[A-Za-z0-9_.@-]{1,255}$/;

/**
 * The root user of a new app from applications:create's `rootUser` (`{email?, username?, password?}`):
 * NocoBase's default email and username, the given password (at least 12 characters) or a generated
 * one of 24 URL-safe characters (144 random bits), returned once and stored only as a scrypt hash.
 * Every app has its own, so a tenant's credentials never sign in to the supervisor's main app.
 */
export async function appRootUser(input: unknown): Promise<{ stored: AppRootUser; answer: CreatedRootUser }> {
  if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) {
    throw cbError('CB_ERR_VALIDATION', 'rootUser must be an object {email?, username?, password?}');
  }
  const given = (input ?? {}) as { email?: unknown; username?: unknown; password?: unknown };
  const email = given.email ?? 'admin@nocobase.com';
  const username = given.username ?? 'nocobase';
  if (typeof email !== 'string' || email.length > 255 || !EMAIL.test(email)) throw cbError('CB_ERR_VALIDATION', 'rootUser.email must be an email address');
  if (typeof username !== 'string' || !USERNAME.test(username)) throw cbError('CB_ERR_VALIDATION', 'rootUser.username must be 1-255 letters, digits or _ . @ -');
  let password = given.password;
  const generated = password === undefined || password === null || password === '';
  if (generated) password = randomBytes(18).toString('base64url');
  if (typeof password !== 'string' || [...password].length < MIN_APP_ROOT_PASSWORD || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw cbError('CB_ERR_VALIDATION', `rootUser.password must be a string of at least ${MIN_APP_ROOT_PASSWORD} characters (or absent: one is generated and returned once)`);
  }
  const stored = { email, username, passwordHash: await hashPassword(password) };
  return { stored, answer: generated ? { email, username, password } : { email, username } };
}
