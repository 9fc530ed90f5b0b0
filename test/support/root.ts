/**
 * Root passwords of test clusters: a node with a transporter, a supervisor or a worker refuses the
 * default `admin123` (and anything under 12 characters), and every supervised app has its own root.
 */
export const ROOT_PASSWORD = 'test-root-password-0123';
/** The root password tests give the sub-apps they create (applications:create `rootUser.password`). */
export const APP_ROOT_PASSWORD = 'test-app-root-password-4567';
