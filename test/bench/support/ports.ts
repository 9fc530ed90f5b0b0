export { freePort } from '../../../shared/db/free-port';
