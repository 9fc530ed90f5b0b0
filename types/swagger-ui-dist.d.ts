declare module 'swagger-ui-dist/absolute-path.js' {
  /** The folder holding swagger-ui's built assets (swagger-ui-bundle.js, swagger-ui.css). */
  function getAbsoluteFSPath(): string;
  export = getAbsoluteFSPath;
}
