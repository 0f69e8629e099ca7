// What lms/static/editor.js uses of CodeMirror 6, bundled as the global `LmsCodeMirror`.
export { EditorState, Compartment } from "@codemirror/state";
export {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, drawSelection, placeholder,
} from "@codemirror/view";
export { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
export {
  LanguageSupport, syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching, foldGutter, foldKeymap,
} from "@codemirror/language";
export { markdownLanguage, commonmarkLanguage } from "@codemirror/lang-markdown";
export { linter, lintGutter, setDiagnostics, forceLinting } from "@codemirror/lint";
export { search, searchKeymap, highlightSelectionMatches } from "@codemirror/search";
