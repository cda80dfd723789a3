//! The domain-name parser: never panics; what it accepts is canonical (parsing the result
//! again gives the same name), short lowercase ASCII with LDH labels, no reserved hyphens,
//! and its Unicode display form parses back to the same name.
#![no_main]

use entity::domains::DomainName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(name) = DomainName::parse(text) else {
        return;
    };
    let ascii = name.as_str();
    assert!(ascii.len() <= 253, "{ascii} is too long");
    assert!(ascii.contains('.'), "{ascii} is one label");
    for label in ascii.split('.') {
        assert!(!label.is_empty() && label.len() <= 63, "bad label in {ascii}");
        assert!(
            label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "non-LDH label in {ascii}"
        );
        assert!(!label.starts_with('-') && !label.ends_with('-'), "{ascii}");
        assert!(
            label.get(2..4) != Some("--") || label.starts_with("xn--"),
            "reserved hyphens in {ascii}"
        );
    }
    let again = DomainName::parse(ascii).unwrap_or_else(|e| panic!("{ascii} from {text:?}: {e}"));
    assert_eq!(again, name, "not canonical: {text:?}");
    let unicode = name.unicode();
    let back = DomainName::parse(&unicode)
        .unwrap_or_else(|e| panic!("display form {unicode:?} of {ascii} refused: {e}"));
    assert_eq!(back, name, "display form of {ascii} parses to another name");
});
