//! The `Gene` type and the root fields that find genes.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use super::connection::{list_cost, Page, PageRequest};
use super::errors::{ApiError, ApiResult, Candidate};
use super::gene_set::{load_sets, GeneSetNode};
use super::limits::{MAX_BATCH_IDS, MAX_PAGE};
use super::loaders::MembershipOf;
use super::search::MatchKind;
use super::target_family::TargetFamily;
use super::{loaders, state};
use crate::domain::{GeneQuery, LibraryName, SetId};
use crate::store::{Gene, Resolution};

/// Resolves one user-supplied gene string with the store's rules (symbol beats alias; a shared
/// alias is never guessed).
pub fn resolve_gene(state: &super::AppState, raw: &str) -> ApiResult<u32> {
    let query = GeneQuery::parse(raw).map_err(ApiError::BadInput)?;
    match state.genes.resolve_query(&query) {
        Resolution::Found(entrez) => Ok(entrez),
        Resolution::Ambiguous(ids) => Err(ApiError::AmbiguousGene {
            query: raw.trim().to_string(),
            candidates: ids
                .into_iter()
                .map(|entrez| Candidate { entrez, symbol: state.genes.symbol(entrez).unwrap_or_default().to_string() })
                .collect(),
        }),
        Resolution::NotFound => Err(ApiError::NotFound(format!(
            "no gene has the symbol, alias, Entrez, Ensembl or UniProt id `{}`",
            raw.trim()
        ))),
    }
}

/// Gene nodes of `ids` (Entrez, plain or typed), in order, from the genes the state holds in
/// memory (`GeneIndex::gene`), so no resolver waits on a store read for a gene.
pub fn gene_nodes<G: Copy + Into<u32>>(ctx: &Context<'_>, ids: &[G]) -> ApiResult<Vec<GeneNode>> {
    let genes = &state(ctx)?.genes;
    ids.iter()
        .map(|&id| {
            let id: u32 = id.into();
            genes
                .gene(id)
                .cloned()
                .map(GeneNode)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("gene {id} is referenced but not stored")))
        })
        .collect()
}

#[derive(Clone)]
pub struct GeneNode(pub Arc<Gene>);

/// A human gene, as NCBI Gene (through org.Hs.eg.db) describes it.
#[Object(name = "Gene")]
impl GeneNode {
    /// NCBI Gene (Entrez) id: the primary key.
    async fn entrez(&self) -> u32 {
        self.0.entrez
    }
    /// HGNC symbol as NCBI reports it.
    async fn symbol(&self) -> &str {
        &self.0.symbol
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// NCBI gene type: protein-coding, ncRNA, pseudo, …
    #[graphql(name = "type")]
    async fn gene_type(&self) -> &str {
        &self.0.gene_type
    }
    async fn chromosome(&self) -> Option<&str> {
        self.0.chromosome.as_deref()
    }
    async fn cytoband(&self) -> Option<&str> {
        self.0.cytoband.as_deref()
    }
    /// Other symbols the gene is known by (shared aliases included; resolving by them may be
    /// ambiguous).
    async fn aliases(&self) -> &[String] {
        &self.0.aliases
    }
    /// Ensembl gene ids (ENSG…), sorted.
    async fn ensembl(&self) -> &[String] {
        &self.0.ensembl
    }
    /// UniProt accessions, Swiss-Prot and TrEMBL, sorted.
    async fn uniprot(&self) -> &[String] {
        &self.0.uniprot
    }
    /// OMIM ids.
    async fn omim(&self) -> &[String] {
        &self.0.omim
    }

    /// Stored gene sets that contain this gene (GO terms, papers' gene lists, domains, ingested
    /// GMT libraries), by library then term.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn known_sets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only sets of this library (e.g. GO_BP).")] library: Option<String>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Page<GeneSetNode>> {
        let page = PageRequest::parse(first, after.as_deref())?;
        let state = state(ctx)?;
        let only = library.as_deref().map(|l| super::library::known_library(state, l)).transpose()?;
        let mut ids = Vec::new();
        let memberships = loaders(ctx)?.memberships().load_one(MembershipOf(self.0.entrez)).await.map_err(ApiError::from)?;
        for (lib, terms) in memberships.iter().flat_map(|m| m.iter()) {
            if only.as_ref().is_some_and(|o| &o.name != lib) {
                continue;
            }
            let Ok(lib) = LibraryName::parse(lib) else { continue };
            let mut terms = terms.clone();
            terms.sort_unstable();
            ids.extend(terms.into_iter().map(|t| SetId::new(lib.clone(), t)));
        }
        let nodes = load_sets(ctx, &ids[page.range(ids.len())]).await?;
        Ok(page.connection(ids.len(), nodes))
    }

    /// Druggable target family from GO molecular function (see the server docs for the GO ids).
    async fn target_family(&self, ctx: &Context<'_>) -> async_graphql::Result<TargetFamily> {
        Ok(state(ctx)?.families.of(self.0.entrez))
    }

    /// Sets the model predicts this gene belongs to (the reference site's rule: logit > 0 or
    /// z > 1.645, top 200 per set), by descending z-score. These are associations the model
    /// draws from the company the gene keeps in the training sets, not claims about the gene's
    /// own activity: a predicted GO molecular function is often its partners' activity. Each
    /// set's `url` links its source (the GO term, the PubMed paper).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn predicted_functions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only sets of these libraries (e.g. [\"GO_BP\", \"GO_MF\"]); all when absent.")] libraries: Option<Vec<String>>,
        #[graphql(desc = "Only sets of this library; kept for older clients, same as `libraries: [library]`.")] library: Option<String>,
        #[graphql(desc = "Only predictions with at least this z-score.")] min_z: Option<f64>,
        #[graphql(desc = "Only sets the gene is not yet in.", default = false)] new_only: bool,
        #[graphql(
            desc = "Include sets named only by their id (PubMed literature sets are named \"PMID n\"). Default: false, so that they do not crowd out named terms, unless `libraries` or `library` is given."
        )]
        include_untitled: Option<bool>,
        #[graphql(default = 10)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Page<super::model::PredictedFunction>> {
        let filter = super::model::FunctionFilter::new(libraries, library, min_z, new_only, include_untitled)?;
        super::model::predicted_functions(ctx, self.0.entrez, filter, first, after).await
    }

    /// What the model's answers for this gene (`predictedFunctions`, `predictedPartners`,
    /// `similarGenes`) stand on: its vocabulary column, the few stored sets it is in, or nothing.
    async fn model_evidence(&self, ctx: &Context<'_>) -> async_graphql::Result<super::model::ModelEvidence> {
        Ok(super::model::model_evidence(ctx, self.0.entrez)?)
    }

    /// Genes the model predicts from this gene alone, best first. Only the top
    /// `predictedPartnerCount` are stored (`genekg model predict`); a larger `first` is refused.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn predicted_partners(&self, ctx: &Context<'_>, #[graphql(default = 10)] first: i32) -> async_graphql::Result<Vec<super::model::PredictedPartner>> {
        super::model::predicted_partners(ctx, self.0.entrez, first).await
    }

    /// How many predicted partners are stored for this gene: `predictedPartners` ends there.
    async fn predicted_partner_count(&self, ctx: &Context<'_>) -> async_graphql::Result<usize> {
        super::model::predicted_partner_count(ctx, self.0.entrez)
    }

    /// Genes with the nearest model embeddings (HNSW index), by cosine. A gene outside the
    /// model's vocabulary is placed by the embedding of its profile (the genes sharing its stored
    /// sets); its `confidence` is low accordingly.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn similar_genes(&self, ctx: &Context<'_>, #[graphql(default = 10)] first: i32) -> async_graphql::Result<Vec<super::model::SimilarGene>> {
        super::model::similar_genes(ctx, crate::domain::Entrez(self.0.entrez), first).await
    }

    /// Papers linked to this gene in the default data (org.Hs.eg.db's gene-PubMed links).
    async fn publication_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u32> {
        super::explain::publication_count(ctx, self.0.entrez)
    }

    /// At most 10 linked papers (`publicationCount`): the server's one definition of an
    /// understudied gene, shared with `ask`.
    async fn understudied(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        super::explain::understudied(ctx, self.0.entrez)
    }

    /// What is known and predicted about this gene, in words, with evidence and citations.
    async fn explanation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "none, local or openai (default: the server's backend).")] llm: Option<String>,
    ) -> async_graphql::Result<super::explain::ExplanationNode> {
        super::explain::gene_explanation(ctx, self.0.entrez, llm).await
    }

    /// Pages about this gene elsewhere. A link is null when the gene lacks the id it needs.
    async fn links(&self) -> GeneLinks {
        GeneLinks::of(&self.0)
    }
}

/// Links to other resources; each is null when the gene lacks the id the resource is keyed by.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize)]
pub struct GeneLinks {
    /// Open Targets Platform, by Ensembl gene id.
    pub open_targets: Option<String>,
    /// Pharos (IDG), by a Swiss-Prot-series UniProt accession when the gene has one, else by
    /// symbol; only for genes with a UniProt entry (Pharos covers proteins only).
    pub pharos: Option<String>,
    /// DGIdb, by symbol.
    pub dgidb: Option<String>,
    /// NCBI Gene, by Entrez id.
    pub ncbi_gene: Option<String>,
    /// GeneCards, by symbol.
    pub gene_cards: Option<String>,
    /// UniProtKB, by accession.
    pub uniprot: Option<String>,
    /// Ensembl, by Ensembl gene id.
    pub ensembl: Option<String>,
    /// Harmonizome, by symbol.
    pub harmonizome: Option<String>,
}

/// The accession to link to when a gene has several (org.Hs.eg.db mixes Swiss-Prot and TrEMBL
/// without saying which is which). Accessions of the original Swiss-Prot series
/// (`[OPQ][0-9][A-Z0-9]{3}[0-9]`) come first, then other 6-character ones, then 10-character
/// TrEMBL ones; ties go to the lowest. TP53 gets P04637 and CDK1 P06493 this way, not one of
/// their TrEMBL fragments.
pub fn primary_uniprot(accessions: &[String]) -> Option<&str> {
    accessions.iter().min_by_key(|a| (uniprot_rank(a), a.as_str())).map(String::as_str)
}

fn uniprot_rank(acc: &str) -> u8 {
    let b = acc.as_bytes();
    let swissprot_series = b.len() == 6
        && matches!(b[0], b'O' | b'P' | b'Q')
        && b[1].is_ascii_digit()
        && b[2..5].iter().all(u8::is_ascii_alphanumeric)
        && b[5].is_ascii_digit();
    match (swissprot_series, b.len()) {
        (true, _) => 0,
        (false, 6) => 1,
        _ => 2,
    }
}

impl GeneLinks {
    pub fn of(g: &Gene) -> Self {
        let symbol = (!g.symbol.is_empty()).then_some(g.symbol.as_str());
        // org.Hs.eg.db lists a gene's Ensembl ids sorted; the first is as good as any other and
        // stays the same between calls.
        let ensg = g.ensembl.first();
        let acc = primary_uniprot(&g.uniprot);
        Self {
            open_targets: ensg.map(|e| format!("https://platform.opentargets.org/target/{e}")),
            pharos: acc.and_then(|a| match uniprot_rank(a) {
                0 => Some(a),
                _ => symbol,
            })
            .map(|id| format!("https://pharos.nih.gov/targets/{id}")),
            dgidb: symbol.map(|s| format!("https://dgidb.org/genes/{s}")),
            ncbi_gene: Some(format!("https://www.ncbi.nlm.nih.gov/gene/{}", g.entrez)),
            gene_cards: symbol.map(|s| format!("https://www.genecards.org/cgi-bin/carddisp.pl?gene={s}")),
            uniprot: acc.map(|a| format!("https://www.uniprot.org/uniprotkb/{a}")),
            ensembl: ensg.map(|e| format!("https://www.ensembl.org/Homo_sapiens/Gene/Summary?g={e}")),
            harmonizome: symbol.map(|s| format!("https://maayanlab.cloud/Harmonizome/gene/{s}")),
        }
    }
}

/// Why one id of a batch lookup found no gene.
#[derive(SimpleObject)]
pub struct LookupError {
    /// NOT_FOUND, BAD_INPUT or AMBIGUOUS_GENE, as in top-level errors.
    pub code: String,
    pub message: String,
    /// For AMBIGUOUS_GENE: the genes the id could mean.
    pub candidates: Vec<GeneNode>,
}

/// The outcome for one id of `genes(ids)`: a gene or an error, never both.
#[derive(SimpleObject)]
pub struct GeneLookup {
    /// The id as given.
    pub query: String,
    pub gene: Option<GeneNode>,
    pub error: Option<LookupError>,
}

#[derive(SimpleObject)]
pub struct GeneMatch {
    pub gene: GeneNode,
    pub matched_on: MatchKind,
    /// The symbol, alias or name that matched.
    pub matched_text: String,
}

#[derive(Default)]
pub struct GeneQueries;

#[Object]
impl GeneQueries {
    /// One gene by symbol (any case), alias, Entrez, Ensembl or UniProt id. An alias shared by
    /// several genes fails with AMBIGUOUS_GENE and lists the candidates in the error's
    /// extensions.
    async fn gene(&self, ctx: &Context<'_>, id: String) -> async_graphql::Result<Option<GeneNode>> {
        let entrez = resolve_gene(state(ctx)?, &id)?;
        Ok(gene_nodes(ctx, &[entrez])?.pop())
    }

    /// Many genes at once (up to 1,000 ids), one result per id in the order given; an id that
    /// fails gets its own error and does not fail the others.
    #[graphql(complexity = "ids.len().max(1) * child_complexity")]
    async fn genes(&self, ctx: &Context<'_>, ids: Vec<String>) -> async_graphql::Result<Vec<GeneLookup>> {
        super::limits::check_list_len("ids", ids.len(), MAX_BATCH_IDS)?;
        let state = state(ctx)?;
        let resolved: Vec<ApiResult<u32>> = ids.iter().map(|id| resolve_gene(state, id)).collect();
        let mut wanted: Vec<u32> = resolved
            .iter()
            .flat_map(|r| match r {
                Ok(e) => vec![*e],
                Err(ApiError::AmbiguousGene { candidates, .. }) => candidates.iter().map(|c| c.entrez).collect(),
                Err(_) => vec![],
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let genes = gene_nodes(ctx, &wanted)?;
        let by_id = |e: u32| wanted.binary_search(&e).ok().map(|i| genes[i].clone());
        Ok(ids
            .into_iter()
            .zip(resolved)
            .map(|(query, r)| match r {
                Ok(e) => GeneLookup { query, gene: by_id(e), error: None },
                Err(err) => {
                    let candidates = match &err {
                        ApiError::AmbiguousGene { candidates, .. } => {
                            candidates.iter().filter_map(|c| by_id(c.entrez)).collect()
                        }
                        _ => vec![],
                    };
                    let error = LookupError { code: err.code().as_str().to_string(), message: err.to_string(), candidates };
                    GeneLookup { query, gene: None, error: Some(error) }
                }
            })
            .collect())
    }

    /// Autocomplete over symbols, aliases and name words (prefixes), best matches first.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn search_genes(
        &self,
        ctx: &Context<'_>,
        text: String,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<GeneMatch>> {
        if first < 0 || first as usize > MAX_PAGE {
            return Err(ApiError::BadInput(format!("`first` must be between 0 and {MAX_PAGE}, got {first}")).into());
        }
        if text.trim().is_empty() || text.len() > 200 {
            return Err(ApiError::BadInput("`text` must be 1 to 200 characters".into()).into());
        }
        let hits = state(ctx)?.genes.search(&text, first as usize);
        let ids: Vec<u32> = hits.iter().map(|h| h.entrez).collect();
        let genes = gene_nodes(ctx, &ids)?;
        Ok(hits
            .into_iter()
            .zip(genes)
            .map(|(h, gene)| GeneMatch { gene, matched_on: h.kind, matched_text: h.matched })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_use_the_ids_the_gene_has_and_skip_the_rest() {
        let tp53 = Gene {
            entrez: 7157,
            symbol: "TP53".into(),
            ensembl: vec!["ENSG00000141510".into()],
            uniprot: vec!["A0A087WT22".into(), "B7Z2I3".into(), "P04637".into(), "Q53GA5".into()],
            ..Default::default()
        };
        let l = GeneLinks::of(&tp53);
        assert_eq!(l.open_targets.as_deref(), Some("https://platform.opentargets.org/target/ENSG00000141510"));
        assert_eq!(l.pharos.as_deref(), Some("https://pharos.nih.gov/targets/P04637"));
        assert_eq!(l.uniprot.as_deref(), Some("https://www.uniprot.org/uniprotkb/P04637"));
        assert_eq!(l.dgidb.as_deref(), Some("https://dgidb.org/genes/TP53"));
        assert_eq!(l.ncbi_gene.as_deref(), Some("https://www.ncbi.nlm.nih.gov/gene/7157"));
        assert_eq!(l.gene_cards.as_deref(), Some("https://www.genecards.org/cgi-bin/carddisp.pl?gene=TP53"));
        assert_eq!(l.ensembl.as_deref(), Some("https://www.ensembl.org/Homo_sapiens/Gene/Summary?g=ENSG00000141510"));
        assert_eq!(l.harmonizome.as_deref(), Some("https://maayanlab.cloud/Harmonizome/gene/TP53"));

        let trembl_only = Gene { entrez: 2, symbol: "Y".into(), uniprot: vec!["A0A024QZJ8".into()], ..Default::default() };
        assert_eq!(GeneLinks::of(&trembl_only).pharos.as_deref(), Some("https://pharos.nih.gov/targets/Y"));

        let bare = Gene { entrez: 1, symbol: "X".into(), ..Default::default() };
        let l = GeneLinks::of(&bare);
        assert!(l.open_targets.is_none() && l.ensembl.is_none() && l.pharos.is_none() && l.uniprot.is_none());
        assert!(l.ncbi_gene.is_some() && l.dgidb.is_some());
    }
}
