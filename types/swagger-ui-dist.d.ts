declare module 'swagger-ui-dist' {
  /** The folder holding swagger-ui's built assets (swagger-ui-bundle.js, swagger-ui.css). */
  export function getAbsoluteFSPath(): string;
}
