//! Splits zone-file text into entries (logical lines) of tokens, handling
//! comments, quotes, escapes and parentheses (RFC 1035 §5.1).

use super::ZoneErrorKind;

/// One token: a word or a quoted string, escapes left in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) text: String,
    pub(crate) quoted: bool,
    pub(crate) line: usize,
    pub(crate) col: usize,
}

/// One entry: the tokens of a logical line.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) tokens: Vec<Token>,
    /// The entry's first physical line starts with a blank: the owner is omitted.
    pub(crate) blank_start: bool,
    pub(crate) line: usize,
}

/// A lexing failure with its position.
pub(crate) struct LexError {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) kind: ZoneErrorKind,
}

pub(crate) fn lex(src: &str) -> Result<Vec<Entry>, LexError> {
    let mut entries = Vec::new();
    let mut cur = Entry { tokens: Vec::new(), blank_start: false, line: 1 };
    let mut depth = 0usize;
    let mut open_at = (0usize, 0usize);
    let mut line = 1usize;
    let mut col = 1usize;
    let mut at_line_start = true;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        let here = (line, col);
        col += 1;
        if at_line_start && depth == 0 && cur.tokens.is_empty() {
            cur.blank_start = c == ' ' || c == '\t';
            cur.line = line;
        }
        at_line_start = false;
        match c {
            '\n' => {
                line += 1;
                col = 1;
                at_line_start = true;
                if depth == 0 && !cur.tokens.is_empty() {
                    entries.push(std::mem::replace(&mut cur, Entry { tokens: Vec::new(), blank_start: false, line }));
                }
            }
            ' ' | '\t' | '\r' => {}
            ';' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                    col += 1;
                }
            }
            '(' => {
                if depth == 0 {
                    open_at = here;
                }
                depth += 1;
            }
            ')' => {
                if depth == 0 {
                    return Err(LexError { line: here.0, col: here.1, kind: ZoneErrorKind::UnbalancedClose });
                }
                depth -= 1;
            }
            '"' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None | Some('\n') => {
                            return Err(LexError { line: here.0, col: here.1, kind: ZoneErrorKind::UnterminatedQuote });
                        }
                        Some('"') => {
                            col += 1;
                            break;
                        }
                        Some('\\') => {
                            col += 1;
                            text.push('\\');
                            if let Some(n) = chars.next().filter(|&n| n != '\n') {
                                col += 1;
                                text.push(n);
                            }
                        }
                        Some(other) => {
                            col += 1;
                            text.push(other);
                        }
                    }
                }
                cur.tokens.push(Token { text, quoted: true, line: here.0, col: here.1 });
            }
            _ => {
                let mut text = String::new();
                text.push(c);
                if c == '\\'
                    && let Some(n) = chars.next_if(|&n| n != '\n')
                {
                    col += 1;
                    text.push(n);
                }
                while let Some(&n) = chars.peek() {
                    if matches!(n, ' ' | '\t' | '\r' | '\n' | ';' | '(' | ')' | '"') {
                        break;
                    }
                    chars.next();
                    col += 1;
                    text.push(n);
                    if n == '\\'
                        && let Some(e) = chars.next_if(|&e| e != '\n')
                    {
                        col += 1;
                        text.push(e);
                    }
                }
                cur.tokens.push(Token { text, quoted: false, line: here.0, col: here.1 });
            }
        }
    }
    if depth > 0 {
        return Err(LexError { line: open_at.0, col: open_at.1, kind: ZoneErrorKind::UnbalancedOpen });
    }
    if !cur.tokens.is_empty() {
        entries.push(cur);
    }
    Ok(entries)
}
