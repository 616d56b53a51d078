// Used by babel-jest to turn the ES modules of JupyterLab packages into
// CommonJS. The preset module is compiled from TypeScript, hence `.default`.
module.exports = require('@jupyterlab/testing/lib/babel-config').default;
