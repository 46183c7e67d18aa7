/**
 * The module specifiers a TypeScript or JavaScript source imports, found with a small tokenizer (no
 * compiler, no I/O): what `lib/runtime/code_identity.ts` walks to find a module's import closure.
 *
 * @example
 * ```ts
 * import { importSpecifiers } from "./import_specifiers.ts";
 * importSpecifiers(`// import "./not-this.ts";\nimport { a } from "./a.ts";\nexport * from "./b.ts";\nawait import("./c.ts");`);
 * // ["./a.ts", "./b.ts", "./c.ts"]
 * ```
 */

/**
 * The module specifiers a TypeScript/JavaScript source imports: static `import ... from`, `export ... from`,
 * side-effect `import "..."` and dynamic `import("...")` with a string literal. Comments, template
 * literals and regular expressions are skipped, so an example inside a doc comment is not an import. Pure.
 */
export function importSpecifiers(source: string): string[] {
  const tokens = tokenize(source);
  const out: string[] = [];
  const isString = (t: Token | undefined): t is Token => t?.kind === "string";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== "word" || (t.text !== "import" && t.text !== "export")) continue;
    if (tokens[i - 1]?.text === ".") continue; // obj.import, not a keyword
    const next = tokens[i + 1];
    if (t.text === "import" && next?.text === "(") {
      if (isString(tokens[i + 2]) && (tokens[i + 3]?.text === ")" || tokens[i + 3]?.text === ",")) out.push(tokens[i + 2].text);
      continue;
    }
    if (t.text === "import" && isString(next)) {
      out.push(next.text);
      continue;
    }
    // import/export clause: names, braces, commas, `*`, `as`, `type` ... then `from "specifier"`
    for (let j = i + 1; j < tokens.length; j++) {
      const u = tokens[j];
      if (u.kind === "word" && u.text === "from" && isString(tokens[j + 1])) {
        out.push(tokens[j + 1].text);
        break;
      }
      if (!(u.kind === "word" || u.text === "{" || u.text === "}" || u.text === "," || u.text === "*")) break;
    }
  }
  return out;
}

interface Token {
  kind: "word" | "string" | "value" | "punct";
  text: string;
}

/** Words, string literals (their value) and punctuation of a source; comments, templates and regexes dropped. */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const n = src.length;
  let i = 0;
  // whether a `/` here starts a regular expression (after an operator or a keyword, not after a value)
  const regexAllowed = () => {
    const prev = tokens.at(-1);
    if (!prev) return true;
    if (prev.kind === "string" || prev.kind === "value") return false;
    if (prev.kind === "word") return /^(?:return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await)$/.test(prev.text);
    return !(prev.text === ")" || prev.text === "]" || prev.text === "}");
  };
  const skipTemplate = () => { // at the opening backquote; skips nested ${ ... } expressions
    i++;
    while (i < n && src[i] !== "`") {
      if (src[i] === "\\") i += 2;
      else if (src[i] === "$" && src[i + 1] === "{") {
        i += 2;
        let depth = 1;
        while (i < n && depth > 0) {
          const c = src[i];
          if (c === "`") skipTemplate();
          else if (c === "'" || c === '"') readString();
          else if (c === "/" && src[i + 1] === "/") i = src.indexOf("\n", i) < 0 ? n : src.indexOf("\n", i);
          else if (c === "/" && src[i + 1] === "*") i = src.indexOf("*/", i + 2) < 0 ? n : src.indexOf("*/", i + 2) + 2;
          else {
            if (c === "{") depth++;
            else if (c === "}") depth--;
            i++;
          }
        }
      } else i++;
    }
    i++;
  };
  const readString = (): string => {
    const q = src[i++];
    let s = "";
    while (i < n && src[i] !== q && src[i] !== "\n") {
      if (src[i] === "\\") {
        s += src[i + 1] ?? "";
        i += 2;
      } else s += src[i++];
    }
    i++;
    return s;
  };
  while (i < n) {
    const c = src[i];
    if (/\s/.test(c)) i++;
    else if (c === "/" && src[i + 1] === "/") i = src.indexOf("\n", i) < 0 ? n : src.indexOf("\n", i);
    else if (c === "/" && src[i + 1] === "*") i = src.indexOf("*/", i + 2) < 0 ? n : src.indexOf("*/", i + 2) + 2;
    else if (c === "'" || c === '"') tokens.push({ kind: "string", text: readString() });
    else if (c === "`") {
      skipTemplate();
      tokens.push({ kind: "value", text: "" }); // for the regex rule; never a specifier
    } else if (c === "/" && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < n && src[i] !== "\n" && (inClass || src[i] !== "/")) {
        if (src[i] === "\\") i++;
        else if (src[i] === "[") inClass = true;
        else if (src[i] === "]") inClass = false;
        i++;
      }
      i++;
      while (i < n && /[a-z]/i.test(src[i])) i++;
      tokens.push({ kind: "value", text: "" });
    } else if (/[A-Za-z_$0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z_$0-9]/.test(src[j])) j++;
      tokens.push({ kind: "word", text: src.slice(i, j) });
      i = j;
    } else {
      tokens.push({ kind: "punct", text: c });
      i++;
    }
  }
  return tokens;
}
