// @ts-check
'use strict';

/**
 * Two bundles: the extension host (Node, CommonJS; `vscode` comes from the editor and
 * onnxruntime-node is a native module shipped as its own folder) and the webview UI (browser).
 * `tsc -p .` stays the type checker; ts-loader only transpiles, so the bundles build even
 * while another part of the tree is mid-edit.
 */
const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(__dirname, 'dist');

/** @param {Record<string, unknown>} compilerOptions */
const tsRule = (compilerOptions) => ({
  test: /\.ts$/,
  exclude: /node_modules/,
  use: [{ loader: 'ts-loader', options: { transpileOnly: true, compilerOptions } }],
});

/** The webview's stylesheet is plain CSS; copy it beside the script so the page loads both from dist/. */
class CopyWebviewCss {
  /** @param {import('webpack').Compiler} compiler */
  apply(compiler) {
    compiler.hooks.afterEmit.tap('CopyWebviewCss', () => {
      fs.mkdirSync(dist, { recursive: true });
      fs.copyFileSync(path.resolve(__dirname, 'media', 'webview.css'), path.join(dist, 'webview.css'));
    });
    compiler.hooks.afterCompile.tap('CopyWebviewCss', (compilation) => {
      compilation.fileDependencies.add(path.resolve(__dirname, 'media', 'webview.css'));
    });
  }
}

/** @type {(env: unknown, argv: { mode?: string }) => import('webpack').Configuration[]} */
module.exports = (_env, argv) => {
  const production = argv.mode === 'production';
  const devtool = production ? false : 'nosources-source-map';
  return [
    {
      name: 'extension',
      target: 'node20',
      // The engine runs in a child process of its own (src/engineProcess), started from engineChild.js.
      // The engine reads its largest weight on a thread of its own, started from weightValuesWorker.js beside it.
      entry: {
        extension: './src/extension/extension.ts',
        engineChild: './src/engineProcess/engineChild.ts',
        weightValuesWorker: './src/model/weightValuesWorker.ts',
      },
      // The real __dirname, where that worker's script lies.
      node: { __dirname: false },
      output: { path: dist, filename: '[name].js', libraryTarget: 'commonjs2' },
      externals: { vscode: 'commonjs vscode', 'onnxruntime-node': 'commonjs onnxruntime-node' },
      resolve: { extensions: ['.ts', '.js'] },
      module: { rules: [tsRule({ module: 'commonjs', moduleResolution: 'node10', sourceMap: !production })] },
      devtool,
      // protobufjs probes for optional modules with a computed require; it copes when they are absent.
      ignoreWarnings: [{ module: /@protobufjs[\/]inquire/ }],
    },
    {
      name: 'webview',
      target: 'web',
      entry: { webview: './src/webview/main.ts' },
      output: { path: dist, filename: '[name].js' },
      resolve: { extensions: ['.ts', '.js'] },
      module: { rules: [tsRule({ module: 'es2020', moduleResolution: 'bundler', sourceMap: !production })] },
      plugins: [new CopyWebviewCss()],
      devtool,
      performance: { hints: false },
    },
  ];
};
