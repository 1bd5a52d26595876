// prettier for the XML views and the JavaScript tours (hook "prettier" of .pre-commit-config.yaml),
// set as OCA's addon repositories set it, at this project's line length.
/** @type {import('prettier').Config} */
const config = {
    plugins: [require.resolve("@prettier/plugin-xml")],
    bracketSpacing: false,
    printWidth: 100,
    tabWidth: 4,
    proseWrap: "always",
    semi: true,
    trailingComma: "es5",
    xmlWhitespaceSensitivity: "strict",
};
module.exports = config;
