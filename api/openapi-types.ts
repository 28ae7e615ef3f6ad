/** The value types the OpenAPI document is built from, shared by its parts (api/openapi*.ts) without a cycle. */

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON Schema or OpenAPI object. */
export type Schema = { [key: string]: Json };
