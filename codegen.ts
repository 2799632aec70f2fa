/**
 * graphql-codegen: schema/schema.graphql (printed from the Pothos schema) + src/client/operations/*.graphql
 * -> src/client/generated/ (typed documents for every operation the SDK sends).
 * `documentMode: 'string'` keeps the `graphql` runtime out of the client bundle: documents are strings
 * carrying their result and variable types.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const outDir = process.env.CODEGEN_OUT_DIR ?? 'src/client/generated/';

const config: CodegenConfig = {
  schema: process.env.CODEGEN_SCHEMA ?? 'schema/schema.graphql',
  documents: ['src/client/operations/*.graphql'],
  ignoreNoDocuments: false,
  silent: false,
  generates: {
    [outDir.endsWith('/') ? outDir : `${outDir}/`]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'gql' },
      config: {
        documentMode: 'string',
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        strictScalars: true,
        scalars: {
          ID: { input: 'string', output: 'string' },
          Bytes: { input: 'string', output: 'string' },
          DateTime: { input: 'string', output: 'string' },
          UInt32: { input: 'number', output: 'number' },
        },
      },
    },
  },
};

export default config;
