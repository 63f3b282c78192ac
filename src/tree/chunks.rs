//! A kernel C file cut into its top-level pieces: preprocessor directives,
//! and items (a function definition, a declaration, a struct, a variable
//! with its initialiser, a macro invoked at file scope), each with the
//! comment above it. For each piece: the names it defines and the
//! identifiers it uses, so that extraction can follow what a function
//! needs. A lexer, not a parser: it knows comments, strings, character
//! literals, line continuations and bracket depth, which is all that
//! finding the ends of top-level pieces takes.

/// What a piece of the file is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `#include <...>` or `#include "..."`, with what it names.
    Include { target: String, local: bool },
    /// `#if`, `#ifdef`, `#ifndef`, `#elif`, `#else`, `#endif`: kept
    /// wherever the pieces inside are, so the structure stays whole.
    Conditional,
    /// `#define NAME`: defines NAME.
    Define,
    /// Any other directive (`#undef`, `#pragma`, `#error`...).
    OtherDirective,
    /// A function definition (it has a body).
    Function,
    /// Anything else at file scope that ends with `;`.
    Declaration,
}

/// One top-level piece.
#[derive(Clone, Debug)]
pub struct Chunk {
    pub kind: Kind,
    /// The text, the comment above it included, as the file has it.
    pub text: String,
    /// Where the code starts in `text` (after the comment above it).
    pub code_at: usize,
    /// The 1-based line of the file where `text` starts.
    pub line: usize,
    /// The names it defines (a function, a variable, a tag, a macro,
    /// enumerators, a typedef).
    pub defines: Vec<String>,
    /// The identifiers its code uses (not those in comments or strings).
    pub uses: Vec<String>,
}

/// A token, for the little the chunker needs to know of C.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    Punct(char),
    /// A string, character or number literal: no identifiers in it.
    Literal,
}

/// Cuts `source` into its top-level pieces, in order.
pub fn chunks(source: &str) -> Vec<Chunk> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    // Where the pending comment (and blank lines) before the next piece
    // began, and on which line.
    let mut pending: Option<(usize, usize)> = None;
    while pos < bytes.len() {
        let c = bytes[pos];
        if c == b'\n' {
            line += 1;
            pos += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            pos += 1;
            continue;
        }
        if source[pos..].starts_with("/*") || source[pos..].starts_with("//") {
            pending.get_or_insert((pos, line));
            let end = skip_comment(bytes, pos);
            line += count_lines(&bytes[pos..end]);
            pos = end;
            continue;
        }
        let (start, start_line) = pending.take().unwrap_or((pos, line));
        if c == b'#' {
            let end = directive_end(bytes, pos);
            let text = &source[pos..end];
            let mut chunk = directive(&source[start..end], text, start_line);
            chunk.code_at = pos - start;
            out.push(chunk);
            line += count_lines(&bytes[pos..end]);
            pos = end;
            continue;
        }
        let end = item_end(bytes, pos);
        let text = &source[start..end];
        line += count_lines(&bytes[pos..end]);
        let mut chunk = item(text, &source[pos..end], start_line);
        chunk.code_at = pos - start;
        out.push(chunk);
        pos = end;
    }
    out
}

fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// The end of a comment starting at `pos`.
fn skip_comment(bytes: &[u8], pos: usize) -> usize {
    if bytes[pos + 1] == b'/' {
        let mut end = pos;
        while end < bytes.len() && bytes[end] != b'\n' {
            end += 1;
        }
        return end;
    }
    let mut end = pos + 2;
    while end + 1 < bytes.len() && !(bytes[end] == b'*' && bytes[end + 1] == b'/') {
        end += 1;
    }
    (end + 2).min(bytes.len())
}

/// The end of a literal (string or character) starting at `pos`.
fn skip_literal(bytes: &[u8], pos: usize) -> usize {
    let quote = bytes[pos];
    let mut end = pos + 1;
    while end < bytes.len() && bytes[end] != quote && bytes[end] != b'\n' {
        if bytes[end] == b'\\' {
            end += 1;
        }
        end += 1;
    }
    (end + 1).min(bytes.len())
}

/// The end of a directive at `pos` (its line, and the lines its
/// continuations join), the newline not included.
fn directive_end(bytes: &[u8], pos: usize) -> usize {
    let mut end = pos;
    while end < bytes.len() {
        match bytes[end] {
            b'\n' if end > pos && bytes[end - 1] == b'\\' => end += 1,
            b'\n' => return end,
            b'/' if bytes.get(end + 1) == Some(&b'*') => end = skip_comment(bytes, end),
            _ => end += 1,
        }
    }
    end
}

/// The end of a top-level item starting at `pos`: the `;` that ends it at
/// depth 0, or the `}` that closes a function's body.
fn item_end(bytes: &[u8], pos: usize) -> usize {
    let mut depth = 0i32;
    let mut end = pos;
    // Whether a `{` at depth 0 opens a function body: the head before it
    // ends with `)` (or attributes after it) and has no `=`.
    let mut head_close_paren = false;
    let mut head_has_eq = false;
    let mut body = false;
    while end < bytes.len() {
        let c = bytes[end];
        match c {
            b'/' if matches!(bytes.get(end + 1), Some(b'*') | Some(b'/')) => {
                end = skip_comment(bytes, end);
                continue;
            }
            b'"' | b'\'' => {
                end = skip_literal(bytes, end);
                if depth == 0 {
                    head_close_paren = false;
                }
                continue;
            }
            b'#' if line_start(bytes, end) => {
                // A directive inside an item (a function's #ifdef).
                end = directive_end(bytes, end);
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth -= 1;
                if depth == 0 && c == b')' {
                    head_close_paren = true;
                }
            }
            b'{' => {
                if depth == 0 && head_close_paren && !head_has_eq {
                    body = true;
                }
                depth += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 && body {
                    return end + 1;
                }
            }
            b';' if depth == 0 => return end + 1,
            b'=' if depth == 0 => head_has_eq = true,
            c if depth == 0 && !c.is_ascii_whitespace() && !is_ident_byte(c) => {
                head_close_paren = false;
            }
            _ => {}
        }
        end += 1;
    }
    end
}

fn line_start(bytes: &[u8], pos: usize) -> bool {
    bytes[..pos]
        .iter()
        .rev()
        .take_while(|&&b| b != b'\n')
        .all(|b| b.is_ascii_whitespace())
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The tokens of code, comments and literals dropped.
fn tokens(code: &str) -> Vec<Token> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let c = bytes[pos];
        if c.is_ascii_whitespace() || c == b'\\' {
            pos += 1;
        } else if c == b'/' && matches!(bytes.get(pos + 1), Some(b'*') | Some(b'/')) {
            pos = skip_comment(bytes, pos);
        } else if c == b'"' || c == b'\'' {
            pos = skip_literal(bytes, pos);
            out.push(Token::Literal);
        } else if c.is_ascii_digit() {
            while pos < bytes.len() && (is_ident_byte(bytes[pos]) || bytes[pos] == b'.') {
                pos += 1;
            }
            out.push(Token::Literal);
        } else if is_ident_byte(c) {
            let start = pos;
            while pos < bytes.len() && is_ident_byte(bytes[pos]) {
                pos += 1;
            }
            out.push(Token::Ident(code[start..pos].to_string()));
        } else {
            out.push(Token::Punct(c as char));
            pos += 1;
        }
    }
    out
}

fn idents(tokens: &[Token]) -> Vec<String> {
    let mut out: Vec<String> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Ident(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn directive(text: &str, code: &str, line: usize) -> Chunk {
    let body = code.trim_start_matches('#').trim_start();
    let word: String = body
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let rest = body[word.len()..].trim();
    let (kind, defines, uses) = match word.as_str() {
        "include" => {
            let local = rest.starts_with('"');
            let target = rest
                .trim_matches(|c| c == '"' || c == '<' || c == '>')
                .split(['"', '>'])
                .next()
                .unwrap_or("")
                .to_string();
            (Kind::Include { target, local }, Vec::new(), Vec::new())
        }
        "if" | "ifdef" | "ifndef" | "elif" | "else" | "endif" => {
            (Kind::Conditional, Vec::new(), Vec::new())
        }
        "define" => {
            let toks = tokens(rest);
            let name = match toks.first() {
                Some(Token::Ident(name)) => vec![name.clone()],
                _ => Vec::new(),
            };
            let uses = idents(toks.get(1..).unwrap_or(&[]));
            (Kind::Define, name, uses)
        }
        _ => (Kind::OtherDirective, Vec::new(), idents(&tokens(rest))),
    };
    Chunk {
        kind,
        text: text.to_string(),
        code_at: 0,
        line,
        defines,
        uses,
    }
}

fn item(text: &str, code: &str, line: usize) -> Chunk {
    let toks = tokens(code);
    let is_function = toks.last() == Some(&Token::Punct('}')) && function_head(&toks);
    let defines = if is_function {
        function_name(&toks).into_iter().collect()
    } else {
        declared_names(&toks)
    };
    Chunk {
        kind: if is_function {
            Kind::Function
        } else {
            Kind::Declaration
        },
        text: text.to_string(),
        code_at: 0,
        line,
        defines,
        uses: idents(&toks),
    }
}

/// Whether the tokens are a function definition: a `)` closes the head at
/// depth 0 before the body's `{`, with no `=` before it.
fn function_head(toks: &[Token]) -> bool {
    let mut depth = 0;
    for t in toks {
        match t {
            Token::Punct('(') | Token::Punct('[') => depth += 1,
            Token::Punct(')') | Token::Punct(']') => depth -= 1,
            Token::Punct('=') if depth == 0 => return false,
            Token::Punct('{') if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// The identifier before the first `(` at depth 0.
fn function_name(toks: &[Token]) -> Option<String> {
    let at = toks.iter().position(|t| *t == Token::Punct('('))?;
    match toks.get(at.checked_sub(1)?) {
        Some(Token::Ident(name)) => Some(name.clone()),
        _ => None,
    }
}

/// C's keywords and base types, which no declaration defines.
const KEYWORDS: &[&str] = &[
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "bool",
    "_Bool", "const", "volatile", "static", "extern", "inline", "register", "typedef", "struct",
    "union", "enum", "restrict",
];

/// What a declaration at file scope names: a prototype's function, a
/// variable, a struct, union or enum tag, a typedef (its name in
/// parentheses too: `typedef void (name)(...)`), and an enum's
/// enumerators. Only the first parenthesis at file scope names a
/// prototype: those after it are attributes (`__acquires(...)`).
fn declared_names(toks: &[Token]) -> Vec<String> {
    let mut names = declared_names_raw(toks);
    names.retain(|n| !KEYWORDS.contains(&n.as_str()));
    names
}

fn declared_names_raw(toks: &[Token]) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0;
    let mut prototype_seen = false;
    let mut last_ident: Option<&str> = None;
    let mut after_aggregate_keyword = false;
    let mut in_enum = false;
    let mut enum_depth = 0;
    let mut expect_enumerator = false;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Token::Ident(s) => {
                if in_enum && depth == enum_depth && expect_enumerator {
                    names.push(s.clone());
                    expect_enumerator = false;
                }
                if depth == 0 {
                    if after_aggregate_keyword {
                        names.push(s.clone());
                        after_aggregate_keyword = false;
                    }
                    if matches!(s.as_str(), "struct" | "union" | "enum") {
                        after_aggregate_keyword = true;
                        in_enum = s == "enum";
                    }
                    last_ident = Some(s);
                }
            }
            Token::Punct('(') if depth == 0 => {
                // A declarator in parentheses: `(name)` or `(*name)`.
                let inner = match (toks.get(i + 1), toks.get(i + 2), toks.get(i + 3)) {
                    (Some(Token::Ident(n)), Some(Token::Punct(')')), _) => Some(n),
                    (Some(Token::Punct('*')), Some(Token::Ident(n)), Some(Token::Punct(')'))) => {
                        Some(n)
                    }
                    _ => None,
                };
                if let Some(name) = inner.filter(|_| !prototype_seen) {
                    names.push(name.clone());
                    last_ident = None;
                } else if let Some(name) = last_ident.take() {
                    // A prototype (or a macro invoked at file scope).
                    if !prototype_seen && !names.iter().any(|n| n == name) && i > 0 {
                        names.push(name.to_string());
                    }
                }
                prototype_seen = true;
                depth += 1;
            }
            Token::Punct('{') => {
                if depth == 0 && in_enum {
                    enum_depth = 1;
                    expect_enumerator = true;
                }
                depth += 1;
                after_aggregate_keyword = false;
            }
            Token::Punct(',') if in_enum && depth == enum_depth => expect_enumerator = true,
            Token::Punct('(') | Token::Punct('[') => depth += 1,
            Token::Punct(')') | Token::Punct(']') | Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    in_enum = false;
                }
            }
            Token::Punct('=') | Token::Punct(';') | Token::Punct(',') if depth == 0 => {
                if let Some(name) = last_ident.take() {
                    if !names.iter().any(|n| n == name) {
                        names.push(name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    names
}

impl Chunk {
    /// The code alone, without the comment above it, and its line.
    pub fn code(&self) -> (&str, usize) {
        let comment = &self.text[..self.code_at];
        (
            &self.text[self.code_at..],
            self.line + comment.matches('\n').count(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_and_names() {
        let source = "#include <linux/mm.h>\n\
            /* a comment */\n\
            static struct {\n\tint a;\n} fail_x = {\n\t.a = 1,\n};\n\
            \n#ifdef CONFIG_X\n\
            static int helper(int x)\n{\n\treturn x + fail_x.a;\n}\n\
            #else\nstatic inline int helper(int x) { return 0; }\n#endif\n\
            enum e { A, B = 2, };\n\
            __setup(\"x=\", helper);\n\
            #define TWICE(x) (helper(x) * 2)\n";
        let c = chunks(source);
        let kinds: Vec<&Kind> = c.iter().map(|c| &c.kind).collect();
        assert_eq!(c.len(), 10, "{kinds:?}");
        assert!(
            matches!(&c[0].kind, Kind::Include { target, local: false } if target == "linux/mm.h")
        );
        assert_eq!(c[1].defines, ["fail_x"]);
        assert!(c[1].text.starts_with("/* a comment */"));
        assert_eq!(c[1].line, 2);
        assert_eq!(c[2].kind, Kind::Conditional);
        assert_eq!(
            (c[3].kind.clone(), c[3].defines.clone()),
            (Kind::Function, vec!["helper".to_string()])
        );
        assert!(c[3].uses.contains(&"fail_x".to_string()));
        assert_eq!(c[3].line, 10);
        assert_eq!(c[5].defines, ["helper"]);
        assert_eq!(c[7].defines, ["e", "A", "B"]);
        assert_eq!(c[8].kind, Kind::Declaration);
        assert_eq!(c[8].uses, ["__setup", "helper"]);
        assert_eq!(
            (c[9].kind.clone(), c[9].defines.clone()),
            (Kind::Define, vec!["TWICE".to_string()])
        );
        assert_eq!(c[9].uses, ["helper", "x"]);
    }
}
