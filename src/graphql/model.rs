//! Fields backed by the model and the neighbourhood index: predicted functions, partners and
//! members, similar genes and sets, and the `augment` and `similarSets` root fields. Each says
//! plainly when the server runs without a model or index (NOT_FOUND), rather than returning
//! empty lists that would read as "no predictions".

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject, ID};

use super::connection::{list_cost, Page, PageRequest};
use super::errors::{ApiError, ApiResult};
use super::enrichment::{ambiguous_nodes, AmbiguousInput};
use super::gene::{gene_nodes, GeneNode};
use super::gene_set::{load_sets, GeneSetNode};
use super::limits::MAX_PAGE;
use super::state;
use crate::domain::{Entrez, SetId};
use crate::index::Neighbourhood;
use crate::model::{predictions, Gsfm};
use crate::store::ResolvedList;

pub(super) fn model(ctx: &Context<'_>) -> ApiResult<Arc<Gsfm>> {
    state(ctx)?
        .model
        .clone()
        .ok_or_else(|| ApiError::NotFound("this server runs without a model; train one with `genekg train`".into()))
}

pub(super) fn neighbourhood(ctx: &Context<'_>) -> ApiResult<Arc<Neighbourhood>> {
    state(ctx)?.neighbourhood.clone().ok_or_else(|| {
        ApiError::NotFound("this server runs without a neighbourhood index; build one with `genekg index build`".into())
    })
}

/// A failed set search: NOT_FOUND naming the step to run when the sets index does not match
/// the store (see `index::sets_mismatch`), INTERNAL otherwise.
fn set_search_error(e: anyhow::Error) -> ApiError {
    match e.downcast_ref::<crate::index::SetsIndexStale>() {
        Some(stale) => ApiError::NotFound(stale.0.clone()),
        None => ApiError::internal(e),
    }
}

/// NOT_FOUND naming `genekg index build` when the sets index predates the data of `library`
/// (or of any library): its answer would leave out or misplace the changed sets.
fn check_index_data(hood: &Neighbourhood, store: &crate::store::Store, library: Option<&str>) -> ApiResult<()> {
    match hood.stale_reason(store, library).map_err(ApiError::internal)? {
        Some(why) => Err(ApiError::NotFound(why)),
        None => Ok(()),
    }
}

fn check_first(first: i32) -> ApiResult<usize> {
    if first < 0 || first as usize > MAX_PAGE {
        return Err(ApiError::BadInput(format!("`first` must be between 0 and {MAX_PAGE}, got {first}")));
    }
    Ok(first as usize)
}

/// How much evidence stands behind the model's answers for a gene.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum EvidenceLevel {
    /// In the model's vocabulary (in enough training sets to have a column): answered by the model.
    Vocabulary,
    /// Outside the vocabulary but in stored sets (a few GO terms or papers, a domain, a motif,
    /// an enzyme class): answered from the genes sharing those sets (docs/model.md, Coverage).
    StoredSets,
    /// In no stored set: no predictions.
    None,
}

/// What the model's answers for a gene (`predictedFunctions`, `predictedPartners`,
/// `similarGenes`) stand on.
#[derive(SimpleObject)]
pub struct ModelEvidence {
    pub level: EvidenceLevel,
    /// Stored sets holding the gene, all libraries.
    pub stored_sets: u32,
    /// Libraries of those sets.
    pub libraries: Vec<String>,
    /// The same in words, e.g. "from 2 stored sets (GO_BP, Pfam), not in the model's vocabulary".
    pub summary: String,
}

/// The evidence behind a gene's answers (see [`ModelEvidence`]).
pub fn model_evidence(ctx: &Context<'_>, entrez: u32) -> ApiResult<ModelEvidence> {
    let model = model(ctx)?;
    let st = state(ctx)?;
    let sets = st.store.sets_of_gene(entrez).map_err(ApiError::internal)?;
    let stored_sets = sets.values().map(Vec::len).sum::<usize>() as u32;
    let libraries: Vec<String> = sets.keys().cloned().collect();
    let plural = if stored_sets == 1 { "" } else { "s" };
    let (level, summary) = if model.vocabulary().column(entrez).is_some() {
        (EvidenceLevel::Vocabulary, format!("in the model's vocabulary; in {stored_sets} stored set{plural}"))
    } else if stored_sets > 0 {
        (
            EvidenceLevel::StoredSets,
            format!(
                "from {stored_sets} stored set{plural} ({}), not in the model's vocabulary: answered from the genes sharing them, so weakly supported",
                libraries.join(", ")
            ),
        )
    } else {
        let symbol = st.genes.symbol(entrez).unwrap_or_default().to_string();
        (EvidenceLevel::None, crate::model::coverage::NO_EVIDENCE.replace("{gene}", &symbol))
    };
    Ok(ModelEvidence { level, stored_sets, libraries, summary })
}

/// NOT_FOUND saying so plainly when a gene is in no stored set: the model has nothing to go on,
/// and an empty list would read as "no predictions found". A gene in the vocabulary passes
/// without reading its sets: this runs for every predictions field of every gene page.
fn require_evidence(ctx: &Context<'_>, entrez: u32) -> ApiResult<()> {
    if model(ctx)?.vocabulary().column(entrez).is_some() {
        return Ok(());
    }
    let e = model_evidence(ctx, entrez)?;
    match e.level {
        EvidenceLevel::None => Err(ApiError::NotFound(e.summary)),
        _ => Ok(()),
    }
}

/// A set the model predicts a gene belongs to.
#[derive(SimpleObject)]
pub struct PredictedFunction {
    pub gene_set: GeneSetNode,
    /// The model's probability for this gene given the set's genes. For a gene outside the
    /// vocabulary (`Gene.modelEvidence`): the share of its profile (the genes sharing its stored
    /// sets) in the set.
    pub probability: f32,
    /// The logit's z-score across all genes for this set; for a gene outside the vocabulary,
    /// the z-score over all stored sets of its profile's votes for this set minus the set's
    /// share of all genes: more votes rank first, equal votes the smaller set first.
    pub z_score: f32,
    /// Rank of the gene among the genes listed for the set; 0 for a gene outside the
    /// vocabulary (it is in no set's list).
    pub rank: u32,
    /// The gene is already in the set.
    pub known: bool,
    /// Median ROC AUC of the model recovering hidden halves of this set: how far to trust it.
    pub set_auroc: Option<f32>,
}

/// A gene predicted for a set.
#[derive(SimpleObject)]
pub struct PredictedGene {
    pub gene: GeneNode,
    pub probability: f32,
    pub z_score: f32,
    pub rank: u32,
    /// The gene is already in the set.
    pub known: bool,
}

/// A gene predicted as a partner of another.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PredictedPartner {
    pub gene: GeneNode,
    pub probability: f32,
    pub z_score: f32,
    pub rank: u32,
    /// The pairing is on record in a curated library: `knownIn` is not empty.
    pub known: bool,
    /// Curated libraries (not the literature) in which the two genes share a specific set, one
    /// of at most 200 genes (a GO term both are annotated to, a pathway). Broad terms such as
    /// "cell cycle" hold most well-studied pairs and say nothing about the pair, so they do
    /// not count.
    pub known_in: Vec<String>,
    /// Read by `closestSharedSet` only when a query asks for it: the gene page does not.
    #[graphql(skip)]
    pub closest: Option<SetId>,
    /// Papers (literature sets) listing both genes.
    pub shared_papers: u32,
}

#[async_graphql::ComplexObject]
impl PredictedPartner {
    /// The smallest curated set holding both genes, if any: the most specific record of the
    /// pairing.
    async fn closest_shared_set(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GeneSetNode>> {
        let Some(id) = &self.closest else { return Ok(None) };
        Ok(load_sets(ctx, std::slice::from_ref(id)).await?.pop())
    }
}

/// Largest curated set whose co-membership counts as a pairing on record (`PredictedPartner`).
pub const KNOWN_PAIR_MAX_SET: usize = 200;

#[derive(SimpleObject)]
pub struct SimilarGene {
    pub gene: GeneNode,
    /// Cosine similarity of the model's gene embeddings.
    pub cosine: f32,
    /// The cosine shrunk toward the mean cosine of random gene pairs by the evidence behind
    /// the pair (the smaller number of stored sets holding either gene; docs/model.md): a gene
    /// in a handful of sets gets high cosines by chance, so its neighbours get less confidence.
    pub confidence: f32,
    /// Stored gene sets holding this neighbour: its evidence.
    pub evidence_sets: u32,
}

/// A library set near a gene list or set. Users' registered lists are private and never listed.
#[derive(SimpleObject)]
pub struct SimilarSet {
    pub gene_set: GeneSetNode,
    /// `LIBRARY:term`, the set's id.
    pub key: String,
    pub cosine: f32,
}

/// Which of a gene's predicted functions a caller wants (see `Gene.predictedFunctions`).
pub struct FunctionFilter {
    libraries: Option<Vec<String>>,
    min_z: f32,
    new_only: bool,
    include_untitled: bool,
}

impl FunctionFilter {
    pub fn new(
        libraries: Option<Vec<String>>,
        library: Option<String>,
        min_z: Option<f64>,
        new_only: bool,
        include_untitled: Option<bool>,
    ) -> ApiResult<Self> {
        let libraries = match (libraries, library) {
            (Some(_), Some(_)) => return Err(ApiError::BadInput("give either `libraries` or `library`, not both".into())),
            (l, one) => l.or(one.map(|one| vec![one])),
        };
        if libraries.as_ref().is_some_and(Vec::is_empty) {
            return Err(ApiError::BadInput("`libraries` is empty; leave it out for all libraries".into()));
        }
        // A caller who names libraries chose them, untitled sets included.
        let include_untitled = include_untitled.unwrap_or(libraries.is_some());
        Ok(Self { libraries, min_z: min_z.unwrap_or(f64::NEG_INFINITY) as f32, new_only, include_untitled })
    }
}

pub async fn predicted_functions(
    ctx: &Context<'_>,
    entrez: u32,
    filter: FunctionFilter,
    first: i32,
    after: Option<String>,
) -> async_graphql::Result<Page<PredictedFunction>> {
    let model = model(ctx)?;
    let page = PageRequest::parse(first, after.as_deref())?;
    require_evidence(ctx, entrez)?;
    let st = state(ctx)?;
    for l in filter.libraries.iter().flatten() {
        super::library::known_library(st, l)?;
    }
    // As `predictedMembers`: predictions from another model, or older than a library's data,
    // would answer for other data, so say which step to run instead.
    let libraries: Vec<Option<&str>> = match &filter.libraries {
        Some(ls) => ls.iter().map(|l| Some(l.as_str())).collect(),
        None => vec![None],
    };
    for library in libraries {
        if let Some(why) = st.predictions_stale_reason(model.fingerprint(), library).map_err(ApiError::internal)? {
            return Err(ApiError::NotFound(why).into());
        }
    }
    let wanted = crate::store::FunctionFilter {
        min_z: filter.min_z,
        new_only: filter.new_only,
        include_untitled: filter.include_untitled,
    };
    let libraries = filter.libraries.map(|mut l| {
        l.sort_unstable();
        l.dedup();
        l
    });
    let (total, rows) = st
        .store
        .functions_page(Entrez(entrez), libraries.as_deref(), &wanted, page.offset, Some(page.limit))
        .map_err(ApiError::internal)?;
    let ids: Vec<SetId> = rows.iter().map(|r| r.set_id()).collect();
    let sets = load_sets(ctx, &ids).await?;
    let nodes = rows
        .iter()
        .zip(sets)
        .map(|(r, gene_set)| PredictedFunction {
            gene_set,
            probability: r.probability,
            z_score: r.z,
            rank: r.rank,
            known: r.known,
            set_auroc: r.set_auroc,
        })
        .collect();
    Ok(page.connection(total, nodes))
}

pub fn predicted_partner_count(ctx: &Context<'_>, entrez: u32) -> async_graphql::Result<usize> {
    model(ctx)?;
    Ok(predictions::partners_of_gene(&state(ctx)?.store, Entrez(entrez)).map_err(ApiError::internal)?.len())
}

/// For a partner, `known` means the pairing is on record in a curated library (a specific set
/// holding both genes); papers listing both are counted apart, since a well-studied gene shares
/// a paper with nearly every gene it is predicted with.
pub async fn predicted_partners(ctx: &Context<'_>, entrez: u32, first: i32) -> async_graphql::Result<Vec<PredictedPartner>> {
    let model = model(ctx)?;
    let first = check_first(first)?;
    require_evidence(ctx, entrez)?;
    let st = state(ctx)?;
    // Partners come from the model alone (no library's sets): only another model makes them stale.
    if let Some(why) = st.predictions_stale_reason(model.fingerprint(), Some("")).map_err(ApiError::internal)? {
        return Err(ApiError::NotFound(why).into());
    }
    let partners = predictions::partners_of_gene(&st.store, Entrez(entrez)).map_err(ApiError::internal)?;
    if first > partners.len() && !partners.is_empty() {
        return Err(ApiError::BadInput(format!(
            "`first` is {first}, but {} predicted partners are stored for this gene (`genekg model predict` keeps the top ones); ask for at most {}",
            partners.len(),
            partners.len()
        ))
        .into());
    }
    let partners = &partners[..partners.len().min(first)];
    // From the in-memory set index, not the stored memberships: see `EnrichIndex::shared_sets`.
    let others: Vec<Entrez> = partners.iter().map(|p| p.entrez).collect();
    let shared = st.enrich.shared_sets_each(Entrez(entrez), &others, Some(crate::domain::LITERATURE_LIBRARY));
    let records: Vec<PairRecord> = shared.iter().map(pair_record).collect();
    let genes = gene_nodes(ctx, &others)?;
    Ok(partners
        .iter()
        .zip(genes)
        .zip(records)
        .enumerate()
        .map(|(i, ((p, gene), r))| PredictedPartner {
            gene,
            probability: p.probability,
            z_score: p.z,
            rank: i as u32 + 1,
            known: !r.known_in.is_empty(),
            known_in: r.known_in,
            closest: r.closest,
            shared_papers: r.papers,
        })
        .collect())
}

/// What the store records about a pair of genes, from the ids of the sets holding both.
struct PairRecord {
    known_in: Vec<String>,
    closest: Option<SetId>,
    papers: u32,
}

/// `shared` tallies the literature library's sets: papers are counted, not listed.
fn pair_record(shared: &crate::enrich::Shared<'_>) -> PairRecord {
    // A handful of libraries at most, against thousands of shared sets for a studied pair: a
    // linear check of borrowed names, sorted and copied once at the end.
    let mut known_in: Vec<&str> = Vec::new();
    let mut closest: Option<(usize, &SetId)> = None;
    for s in &shared.sets {
        if s.size <= KNOWN_PAIR_MAX_SET && !known_in.contains(&s.library) {
            known_in.push(s.library);
        }
        if closest.is_none_or(|(size, id)| (s.size, s.id.as_str()) < (size, id.as_str())) {
            closest = Some((s.size, s.id));
        }
    }
    PairRecord {
        known_in: {
            known_in.sort_unstable();
            known_in.into_iter().map(str::to_string).collect()
        },
        closest: closest.map(|(_, id)| id.clone()),
        papers: shared.tallied as u32,
    }
}

pub async fn similar_genes(ctx: &Context<'_>, gene: Entrez, first: i32) -> async_graphql::Result<Vec<SimilarGene>> {
    let first = check_first(first)?;
    let hood = neighbourhood(ctx)?;
    let st = state(ctx)?;
    require_evidence(ctx, gene.0)?;
    let score = move |hood: &Neighbourhood, found: &[crate::index::Neighbour<Entrez>]| -> Vec<(u32, f32, f32, u32)> {
        found.iter().map(|n| (n.key.0, n.cosine, hood.evidence.confidence(gene, n.key, n.cosine), hood.evidence.sets(n.key))).collect()
    };
    let scored = match hood.cached_similar_genes(gene, first) {
        Some(found) => score(&hood, &found),
        None => {
            super::blocking::run(st, move |_| {
                let found = hood
                    .similar_genes_of(gene, first, None)
                    .ok_or_else(|| ApiError::NotFound(crate::model::coverage::NO_EVIDENCE.replace("{gene}", &gene.to_string())))?;
                Ok(score(&hood, &found))
            })
            .await?
        }
    };
    let genes = gene_nodes(ctx, &scored.iter().map(|s| s.0).collect::<Vec<_>>())?;
    Ok(genes
        .into_iter()
        .zip(scored)
        .map(|(gene, (_, cosine, confidence, evidence_sets))| SimilarGene { gene, cosine, confidence, evidence_sets })
        .collect())
}

async fn similar_set_nodes(ctx: &Context<'_>, found: Vec<crate::index::Neighbour<SetId>>) -> async_graphql::Result<Vec<SimilarSet>> {
    let ids: Vec<SetId> = found.iter().map(|n| n.key.clone()).collect();
    let sets = load_sets(ctx, &ids).await?;
    Ok(found.into_iter().zip(sets).map(|(n, gene_set)| SimilarSet { gene_set, key: n.key.to_string(), cosine: n.cosine }).collect())
}

pub async fn similar_sets_of_set(ctx: &Context<'_>, id: &SetId, library: Option<String>, first: i32) -> async_graphql::Result<Vec<SimilarSet>> {
    let first = check_first(first)?;
    let (hood, model) = (neighbourhood(ctx)?, model(ctx)?);
    let st = state(ctx)?;
    let id = id.clone();
    let found = super::blocking::run_heavy(st, move |st| {
        check_index_data(&hood, &st.store, library.as_deref())?;
        hood.similar_sets_for_set(&st.store, model.as_ref(), &id, first, library.as_deref(), None).map_err(set_search_error)
    })
    .await?;
    similar_set_nodes(ctx, found).await
}

pub async fn predicted_members(ctx: &Context<'_>, id: &SetId, first: i32, new_only: bool) -> async_graphql::Result<Vec<PredictedGene>> {
    let first = check_first(first)?;
    let st = state(ctx)?;
    let model = model(ctx)?;
    // Predictions made before the set's library was (re)ingested, or by another model, would
    // answer for other data: say which step to run instead.
    if let Some(why) = st.predictions_stale_reason(model.fingerprint(), Some(id.library())).map_err(ApiError::internal)? {
        return Err(ApiError::NotFound(why).into());
    }
    let Some(p) = predictions::members_of_set(&st.store, id).map_err(ApiError::internal)? else {
        return Ok(vec![]);
    };
    let rows: Vec<_> = p.genes.iter().filter(|g| !new_only || !g.known).take(first).collect();
    let genes = gene_nodes(ctx, &rows.iter().map(|g| g.entrez).collect::<Vec<_>>())?;
    Ok(rows
        .into_iter()
        .zip(genes)
        .map(|(g, gene)| PredictedGene { gene, probability: g.probability, z_score: g.z, rank: g.rank, known: g.known })
        .collect())
}

pub fn model_auroc(ctx: &Context<'_>, id: &SetId) -> async_graphql::Result<Option<f32>> {
    let st = state(ctx)?;
    if st.model.is_none() {
        return Ok(None);
    }
    Ok(predictions::set_auroc(&st.store, id).map_err(ApiError::internal)?)
}

/// One gene's score in an `augment` answer.
#[derive(SimpleObject)]
pub struct AugmentedGene {
    pub gene: GeneNode,
    pub logit: f32,
    pub probability: f32,
    /// The gene was in the input list.
    pub input: bool,
}

#[derive(SimpleObject)]
pub struct AugmentResult {
    /// Genes by descending score (input genes included only with `includeInput`).
    pub genes: Vec<AugmentedGene>,
    /// Input strings that name no known gene; not used.
    pub unknown_genes: Vec<String>,
    /// Input strings that are aliases of several genes; not used (name one of the candidates).
    pub ambiguous_genes: Vec<AmbiguousInput>,
    /// Known input genes the model cannot read (in too few training sets to be in its
    /// vocabulary); not used, so they do not change the scores.
    pub out_of_vocabulary: Vec<GeneNode>,
    pub model_fingerprint: String,
}

/// Library sets near a gene list, and which entries of the list were not used (as `augment`
/// reports them).
#[derive(SimpleObject)]
pub struct SimilarSetsResult {
    /// Nearest sets first.
    pub sets: Vec<SimilarSet>,
    /// Input strings that name no known gene; not used.
    pub unknown_genes: Vec<String>,
    /// Input strings that are aliases of several genes; not used (name one of the candidates).
    pub ambiguous_genes: Vec<AmbiguousInput>,
    /// Known input genes the model cannot read; not used, so they do not move the list's place.
    pub out_of_vocabulary: Vec<GeneNode>,
}

#[derive(Default)]
pub struct ModelQueries;

/// Resolves a user's gene list with the one gene-list policy (`store::ResolvedList`): unknown
/// and ambiguous entries are reported and left out; only a list where nothing resolves fails.
pub(super) fn resolve_list(ctx: &Context<'_>, genes: &[String], max: usize) -> ApiResult<ResolvedList> {
    super::limits::check_list_len("genes", genes.len(), max)?;
    let list = state(ctx)?.genes.resolve_list(genes);
    match list.nothing_resolved() {
        Some(msg) => Err(ApiError::BadInput(msg)),
        None => Ok(list),
    }
}

#[Object]
impl ModelQueries {
    /// The model's completion of a gene list: every gene scored by how well it fits the list
    /// (the reference site's "augment"). Up to 2,000 input genes.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn augment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The gene list; or give `userGeneSet` instead.")] genes: Option<Vec<String>>,
        #[graphql(desc = "The id of a list registered with `addGeneSet`, in place of `genes`.")] user_gene_set: Option<ID>,
        #[graphql(default = 50)] first: i32,
        #[graphql(default = false)] include_input: bool,
    ) -> async_graphql::Result<AugmentResult> {
        let first = check_first(first)?;
        let model = model(ctx)?;
        let genes = super::user_gene_set::genes_or_user_set(ctx, genes, user_gene_set)?;
        let list = resolve_list(ctx, &genes, crate::model::MAX_INPUT_GENES)?;
        let (input, scorer) = (list.genes.clone(), model.clone());
        let (outside_vocabulary, top) = super::blocking::run_heavy(state(ctx)?, move |_| {
            let aug = scorer.augment(&input)?;
            let top: Vec<_> = aug.ranked(include_input).into_iter().take(first).cloned().collect();
            Ok((aug.unknown, top))
        })
        .await?;
        let nodes = gene_nodes(ctx, &top.iter().map(|g| g.entrez).collect::<Vec<_>>())?;
        let oov = gene_nodes(ctx, &outside_vocabulary)?;
        Ok(AugmentResult {
            genes: top
                .into_iter()
                .zip(nodes)
                .map(|(g, gene)| AugmentedGene { gene, logit: g.logit, probability: g.probability, input: g.input })
                .collect(),
            unknown_genes: list.unknown,
            ambiguous_genes: ambiguous_nodes(ctx, &list.ambiguous).await?,
            out_of_vocabulary: oov,
            model_fingerprint: model.fingerprint().to_string(),
        })
    }

    /// Library gene sets whose model embeddings are nearest to a gene list's (cosine), optionally
    /// within one library. Users' registered lists are never listed.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn similar_sets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The gene list; or give `userGeneSet` instead.")] genes: Option<Vec<String>>,
        #[graphql(desc = "The id of a list registered with `addGeneSet`, in place of `genes`.")] user_gene_set: Option<ID>,
        library: Option<String>,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<SimilarSetsResult> {
        let first = check_first(first)?;
        let (hood, model) = (neighbourhood(ctx)?, model(ctx)?);
        if let Some(l) = &library {
            super::library::known_library(state(ctx)?, l)?;
        }
        let genes = super::user_gene_set::genes_or_user_set(ctx, genes, user_gene_set)?;
        let list = resolve_list(ctx, &genes, crate::model::MAX_INPUT_GENES)?;
        // Genes the model cannot read are left out, as in `augment`: they would only switch on
        // the `<unk>` column and move the list's embedding.
        let (ids, oov) = model.split_vocabulary(&list.genes);
        if ids.is_empty() {
            return Err(ApiError::BadInput(format!(
                "none of the {} known input genes is in the model's vocabulary; it cannot place this list",
                list.genes.len()
            ))
            .into());
        }
        let found = super::blocking::run_heavy(state(ctx)?, move |st| {
            check_index_data(&hood, &st.store, library.as_deref())?;
            hood.similar_sets_for_genes(model.as_ref(), &ids, first, library.as_deref(), None).map_err(set_search_error)
        })
        .await?;
        Ok(SimilarSetsResult {
            sets: similar_set_nodes(ctx, found).await?,
            unknown_genes: list.unknown,
            ambiguous_genes: ambiguous_nodes(ctx, &list.ambiguous).await?,
            out_of_vocabulary: gene_nodes(ctx, &oov)?,
        })
    }
}
