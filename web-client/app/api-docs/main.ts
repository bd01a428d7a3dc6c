// The page that reads the API's OpenAPI document (`GET /api/v1/openapi.json`), for developers
// and operators: Swagger UI, bundled from npm with the app, since the server's CSP lets pages
// load only its own scripts and style sheets. Built apart from the field app and the dashboard
// (`vite.api-docs.config.ts`): phones never download it and no budget counts it.
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';

SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#api',
  deepLinking: true,
  // Requests tried from the page carry the browser's own session cookie; a CSRF token must
  // be typed into "Authorize", as the dashboard's script would send it.
  withCredentials: true,
  // Swagger's online validator badge would fetch from another site, which the CSP refuses.
  validatorUrl: 'none',
});
