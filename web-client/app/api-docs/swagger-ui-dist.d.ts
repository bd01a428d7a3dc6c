// swagger-ui-dist ships no types; the page calls only this.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  interface Options {
    url: string;
    dom_id: string;
    deepLinking?: boolean;
    withCredentials?: boolean;
    validatorUrl?: string | null;
  }
  const SwaggerUIBundle: (options: Options) => unknown;
  export default SwaggerUIBundle;
}
