//! Closed sets of named choices (a sampler's solver, a colour mode, a device preference): each variant has
//! one kebab-case name, the one the command line, the settings and the JSON use, and its doc comment as
//! its description. `choices!` declares such an enum with its `Display` and `FromStr`; the front ends
//! (the CLI's value parser, the window's combo boxes) list `Choice::ALL` without knowing the enum.

/// A closed set of choices with one name each.
pub trait Choice: Copy + Eq + 'static {
    /// Every choice, in the order lists show them.
    const ALL: &'static [Self];
    /// The name a user types and reads (kebab-case).
    fn name(self) -> &'static str;
    /// The variant's doc comment, one line of text per line of comment.
    fn doc(self) -> &'static str;
    /// The first paragraph of the doc comment on one line: what a list of choices shows beside a name.
    fn summary(self) -> String {
        let first_paragraph = self.doc().split("\n\n").next().unwrap_or_default();
        first_paragraph
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A name that is none of a choice's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{given}' is not one of: {expected}")]
pub struct UnknownChoice {
    /// What was given.
    pub given: String,
    /// The names that are accepted, comma-separated.
    pub expected: String,
}

/// The choice named `text`, exactly.
pub fn parse_choice<T: Choice>(text: &str) -> Result<T, UnknownChoice> {
    T::ALL
        .iter()
        .copied()
        .find(|choice| choice.name() == text)
        .ok_or_else(|| UnknownChoice {
            given: text.to_owned(),
            expected: T::ALL
                .iter()
                .map(|choice| choice.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Declares an enum of choices: `Variant = "name"` per variant, each with its doc comment; implements
/// `Choice`, `Display` (the name) and `FromStr` (exactly the name).
macro_rules! choices {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[doc = $doc])* $variant ),+
        }

        impl $crate::choice::Choice for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            fn doc(self) -> &'static str {
                match self {
                    $(Self::$variant => concat!($($doc, "\n"),*)),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::choice::Choice::name(*self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::choice::UnknownChoice;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $crate::choice::parse_choice(text)
            }
        }
    };
}
pub(crate) use choices;

#[cfg(test)]
mod tests {
    use super::*;

    choices! {
        /// A test set.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Fruit {
            /// Red or green.
            ///
            /// Grows on trees.
            Apple = "apple",
            /// A long
            /// yellow one.
            LongBanana = "long-banana",
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for fruit in Fruit::ALL {
            assert_eq!(fruit.to_string().parse::<Fruit>(), Ok(*fruit));
        }
        assert_eq!("long-banana".parse::<Fruit>(), Ok(Fruit::LongBanana));
        let err = "Apple".parse::<Fruit>().unwrap_err();
        assert_eq!(err.to_string(), "'Apple' is not one of: apple, long-banana");
    }

    #[test]
    fn the_summary_is_the_first_paragraph_on_one_line() {
        assert_eq!(Fruit::Apple.summary(), "Red or green.");
        assert_eq!(Fruit::LongBanana.summary(), "A long yellow one.");
        assert_eq!(Fruit::Apple.doc(), " Red or green.\n\n Grows on trees.\n");
    }
}
