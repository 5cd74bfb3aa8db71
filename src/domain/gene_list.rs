/// Splits a pasted gene list into entries. Users paste lists from spreadsheets, papers and
/// shells: one per line, separated by spaces, tabs, commas or semicolons, or as quoted CSV
/// (`"MCM2","MCM3"`). No gene symbol or id contains a quote, comma, semicolon or blank, so all of
/// them separate entries; a line starting with `#` is a comment.
pub fn split_gene_list(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'')))
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::split_gene_list;

    #[test]
    fn splits_lines_blanks_commas_and_quoted_csv() {
        let want = ["MCM2", "MCM3", "MCM4"];
        assert_eq!(split_gene_list("MCM2,MCM3,MCM4"), want);
        assert_eq!(split_gene_list("MCM2\nMCM3\t MCM4\n"), want);
        assert_eq!(split_gene_list("\"MCM2\",\"MCM3\";'MCM4'"), want);
        assert_eq!(split_gene_list("# header\nMCM2, MCM3 ,, MCM4\r\n"), want);
        assert!(split_gene_list(" , \"\" ").is_empty());
    }
}
