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
import { Language } from "@codemirror/language";
import { markdownLanguage } from "@codemirror/lang-markdown";
import { tags } from "@lezer/highlight";

// Module and quiz files open with YAML front matter between two "---" lines; plain Markdown
// would read those lines as a heading underlined by the second "---".
const FrontMatter = {
  defineNodes: [{ name: "FrontMatter", block: true, style: tags.meta }],
  parseBlock: [{
    name: "FrontMatter",
    before: "HorizontalRule",
    parse(cx, line) {
      if (cx.lineStart !== 0 || line.text.trimEnd() !== "---") return false;
      const start = cx.lineStart;
      let closed = false;
      while (cx.nextLine()) {
        if (line.text.trimEnd() === "---") { closed = true; break; }
      }
      const end = closed ? cx.lineStart + line.text.length : cx.prevLineEnd();
      if (closed) cx.nextLine();
      cx.addElement(cx.elt("FrontMatter", start, end));
      return true;
    },
  }],
};

/** Markdown with front matter, for modules, quizzes and call simulations. */
export const markdownWithFrontMatter = new Language(
  markdownLanguage.data, markdownLanguage.parser.configure([FrontMatter]), [], "markdown");
export { linter, lintGutter, setDiagnostics, forceLinting } from "@codemirror/lint";
export { search, searchKeymap, highlightSelectionMatches } from "@codemirror/search";
