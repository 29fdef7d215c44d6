//! Short selection strings, as Mol*, PyMOL and VMD users type them: `chain A`, `resid 10-50`,
//! `resname GLY ALA`, `name CA`, `backbone`, `motif` (RFdiffusion's B-factor 1), `all`, combined with
//! `and`, `or`, `not` and parentheses (`not` binds tightest, then `and`, then `or`). Values run until
//! the next keyword or operator. The result is a mask over the structure's atoms.

use super::hierarchy::Structure;

const KEYWORDS: [&str; 11] = [
    "chain", "resid", "resname", "name", "backbone", "motif", "all", "and", "or", "not", "diffused",
];

fn tokens(text: &str) -> Vec<String> {
    text.replace('(', " ( ")
        .replace(')', " ) ")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

struct Parser<'a> {
    tokens: Vec<String>,
    at: usize,
    structure: &'a Structure,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn is_word(token: &str) -> bool {
        !(KEYWORDS.contains(&token.to_ascii_lowercase().as_str()) || token == "(" || token == ")")
    }

    /// The values after a keyword, up to the next keyword or parenthesis.
    fn values(&mut self, keyword: &str) -> Result<Vec<String>, String> {
        let mut values = Vec::new();
        while let Some(t) = self.peek().filter(|t| Self::is_word(t)) {
            values.extend(t.split(',').filter(|v| !v.is_empty()).map(str::to_owned));
            self.at += 1;
        }
        if values.is_empty() {
            return Err(format!("`{keyword}` needs a value"));
        }
        Ok(values)
    }

    fn mask(&self, keep: impl Fn(usize) -> bool) -> Vec<bool> {
        (0..self.structure.atom_count()).map(keep).collect()
    }

    fn primary(&mut self) -> Result<Vec<bool>, String> {
        let s = self.structure;
        let token = self.next().ok_or("the selection ends too early")?;
        let residue = |a: usize| &s.residues[s.atom_residue[a] as usize];
        match token.to_ascii_lowercase().as_str() {
            "(" => {
                let inner = self.or()?;
                match self.next().as_deref() {
                    Some(")") => Ok(inner),
                    _ => Err("a `(` is not closed".to_owned()),
                }
            }
            "all" => Ok(self.mask(|_| true)),
            "backbone" => {
                Ok(self.mask(|a| ["N", "CA", "C", "O"].contains(&s.atom_names[a].as_str())))
            }
            "motif" => Ok(self.mask(|a| s.b_factors[a] >= 0.5 && s.b_factors[a] <= 1.0)),
            "diffused" => Ok(self.mask(|a| s.b_factors[a] < 0.5)),
            "chain" => {
                let ids = self.values("chain")?;
                Ok(self.mask(|a| ids.contains(&s.chains[residue(a).chain as usize].id)))
            }
            "resname" => {
                let names: Vec<String> = self
                    .values("resname")?
                    .iter()
                    .map(|n| n.to_ascii_uppercase())
                    .collect();
                Ok(self.mask(|a| names.contains(&residue(a).name.to_ascii_uppercase())))
            }
            "name" => {
                let names: Vec<String> = self
                    .values("name")?
                    .iter()
                    .map(|n| n.to_ascii_uppercase())
                    .collect();
                Ok(self.mask(|a| names.contains(&s.atom_names[a].to_ascii_uppercase())))
            }
            "resid" => {
                let ranges = self
                    .values("resid")?
                    .iter()
                    .map(|v| parse_range(v))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(self.mask(|a| ranges.iter().any(|r| r.contains(&residue(a).number))))
            }
            ")" => Err("a `)` without its `(`".to_owned()),
            other => Err(format!(
                "`{other}` is not a selection keyword (chain, resid, resname, name, backbone, motif, diffused, all, and, or, not)"
            )),
        }
    }

    fn not(&mut self) -> Result<Vec<bool>, String> {
        if self.peek().is_some_and(|t| t.eq_ignore_ascii_case("not")) {
            self.at += 1;
            return Ok(self.not()?.into_iter().map(|v| !v).collect());
        }
        self.primary()
    }

    fn and(&mut self) -> Result<Vec<bool>, String> {
        let mut mask = self.not()?;
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("and")) {
            self.at += 1;
            let other = self.not()?;
            mask.iter_mut().zip(other).for_each(|(m, o)| *m &= o);
        }
        Ok(mask)
    }

    fn or(&mut self) -> Result<Vec<bool>, String> {
        let mut mask = self.and()?;
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("or")) {
            self.at += 1;
            let other = self.and()?;
            mask.iter_mut().zip(other).for_each(|(m, o)| *m |= o);
        }
        Ok(mask)
    }
}

/// `resid` values: `10`, `10-50`, `-3--1` (negative numbers as files write them).
fn parse_range(text: &str) -> Result<std::ops::RangeInclusive<isize>, String> {
    let bad = || format!("`{text}` is not a residue number or range (10 or 10-50)");
    if let Ok(n) = text.parse::<isize>() {
        return Ok(n..=n);
    }
    let split = text[1..].find('-').map(|i| i + 1).ok_or_else(bad)?;
    let (a, b) = (
        text[..split].parse::<isize>(),
        text[split + 1..].parse::<isize>(),
    );
    match (a, b) {
        (Ok(a), Ok(b)) if a <= b => Ok(a..=b),
        _ => Err(bad()),
    }
}

/// The atoms `text` selects in `structure`, or why it cannot be read (one line).
pub fn select_atoms(structure: &Structure, text: &str) -> Result<Vec<bool>, String> {
    let mut parser = Parser {
        tokens: tokens(text),
        at: 0,
        structure,
    };
    if parser.tokens.is_empty() {
        return Err("the selection is empty".to_owned());
    }
    let mask = parser.or()?;
    match parser.peek() {
        None => Ok(mask),
        Some(extra) => Err(format!(
            "`{extra}` does not continue the selection (and, or?)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(s: &Structure, text: &str) -> usize {
        select_atoms(s, text)
            .unwrap()
            .into_iter()
            .filter(|&v| v)
            .count()
    }

    #[test]
    fn keywords_combine_with_their_precedence() {
        // Chains 0 (300 residues) and 1 (200) of 8-atom ALA residues numbered from 1.
        let s = Structure::synthetic(4000);
        assert_eq!(count(&s, "all"), s.atom_count());
        assert_eq!(count(&s, "chain 0"), 300 * 8);
        assert_eq!(count(&s, "resid 1-10"), 10 * 8 * s.chain_count());
        assert_eq!(count(&s, "name CA"), s.residue_count());
        assert_eq!(count(&s, "backbone"), 4 * s.residue_count());
        assert_eq!(count(&s, "chain 0 and name CA"), 300);
        assert_eq!(
            count(&s, "name CA or name CB and resid 1"),
            s.residue_count() + s.chain_count()
        );
        assert_eq!(count(&s, "not (name CA or name CB)"), 6 * s.residue_count());
        assert_eq!(count(&s, "resid 1,2 5"), 3 * 8 * s.chain_count());
    }

    #[test]
    fn bad_strings_say_why_in_one_line() {
        let s = Structure::synthetic(100);
        for (text, says) in [
            ("", "empty"),
            ("chain", "needs a value"),
            ("resid 5-x", "not a residue number"),
            ("(name CA", "not closed"),
            ("name CA name CB", "does not continue"),
            ("atoms", "not a selection keyword"),
        ] {
            let e = select_atoms(&s, text).unwrap_err();
            assert!(e.contains(says) && !e.contains('\n'), "{text}: {e}");
        }
    }
}
