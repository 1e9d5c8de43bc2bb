# Reference values for analysis.reliability.cronbach_alpha, computed by R psych.
#
# Regenerate (only needed when a case is added; CI never runs R):
#   apt-get install -y r-cran-psych        # brings psych and jsonlite
#   cd tests/expected && Rscript make_reliability_reference.R
#
# Inputs (all committed beside this script, so the tests need no R):
#   reliability_bfi_agreeableness.csv  psych::bfi items A1-A5 (SAPA project,
#                                      2800 respondents, with missing answers);
#                                      written by this script. A1 is
#                                      reverse-keyed on a 6-point scale.
#   reliability_synthetic.csv          40 x 4 five-point answers with missing
#                                      values, item s3 reverse-keyed; written
#                                      by this script from a fixed seed.
#   reliability_wide_missing.csv       pingouin's "cronbach_wide_missing" data
#                                      set (from real-statistics.com): binary,
#                                      12 x 11, three missing answers.
#   reliability_likert7.csv            pingouin's "cronbach_alpha" data set
#                                      (from real-statistics.com), long format
#                                      pivoted to 15 subjects x 10 items.
#
# Output: reliability_reference.json, one entry per case with psych's
# raw_alpha, Feldt interval (alpha.ci, as alpha() reports it in $feldt),
# n, k and per item r.drop, alpha.drop$raw_alpha, mean, sd and n.
#
# Reverse-keyed items are reversed *before* calling alpha() (max + min - x),
# which is what analysis.scoring does; psych's own keys= argument would give
# the same covariances.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

case <- function(name, x, source, nan_policy = "pairwise", note = "") {
  # Listwise cases are passed na.omit() data, so pairwise and complete-case
  # covariances coincide there; nan_policy records what the Python side uses.
  a <- psych::alpha(x, use = "pairwise", warnings = FALSE)
  n <- nrow(x)
  k <- ncol(x)
  raw <- a$total$raw_alpha
  ci95 <- psych::alpha.ci(raw, n, k, p.val = 0.05)
  ci90 <- psych::alpha.ci(raw, n, k, p.val = 0.10)
  items <- lapply(seq_len(k), function(i) {
    list(
      item = colnames(x)[i],
      n = unname(a$item.stats$n[i]),
      mean = unname(a$item.stats$mean[i]),
      sd = unname(a$item.stats$sd[i]),
      r_drop = unname(a$item.stats$r.drop[i]),
      alpha_if_dropped = unname(a$alpha.drop$raw_alpha[i])
    )
  })
  list(
    name = name,
    source = source,
    note = note,
    nan_policy = nan_policy,
    n_respondents = n,
    n_items = k,
    alpha = raw,
    ci95 = c(ci95$lower.ci, ci95$upper.ci),
    ci90 = c(ci90$lower.ci, ci90$upper.ci),
    items = items
  )
}

cases <- list()

# 1-2. psych::bfi agreeableness, A1 reversed on its 1..6 scale.
bfi_a <- psych::bfi[, c("A1", "A2", "A3", "A4", "A5")]
write.csv(bfi_a, "reliability_bfi_agreeableness.csv", row.names = FALSE, na = "")
keyed <- bfi_a
keyed$A1 <- 7 - keyed$A1
cases[[length(cases) + 1]] <- case(
  "bfi_agreeableness_pairwise", keyed,
  "R psych 2.x alpha(), data psych::bfi A1-A5 with A1 reversed (7 - A1), use = 'pairwise'"
)
complete <- na.omit(keyed)
cases[[length(cases) + 1]] <- case(
  "bfi_agreeableness_listwise", complete,
  "R psych alpha() on na.omit(bfi A1-A5, A1 reversed): listwise deletion, n = complete rows",
  nan_policy = "listwise",
  note = "psych alpha(use='complete.obs') would count all 2800 rows for the Feldt interval; we count complete rows"
)

# 3. Synthetic five-point pulse answers: one latent trait, item s3 reverse-keyed, ~10% missing.
set.seed(20240601)
n <- 40
trait <- rnorm(n)
make_item <- function(load) pmin(5, pmax(1, round(3 + load * trait + rnorm(n, sd = 0.9))))
synthetic <- data.frame(s1 = make_item(1.0), s2 = make_item(0.8), s3 = make_item(-0.9), s4 = make_item(0.6))
for (j in seq_along(synthetic)) synthetic[sample.int(n, 4), j] <- NA
write.csv(synthetic, "reliability_synthetic.csv", row.names = FALSE, na = "")
synthetic_keyed <- synthetic
synthetic_keyed$s3 <- 6 - synthetic_keyed$s3
cases[[length(cases) + 1]] <- case(
  "synthetic_pairwise", synthetic_keyed,
  "R psych alpha() on reliability_synthetic.csv with s3 reversed (6 - s3), use = 'pairwise'"
)

# 4-5. pingouin's documented examples, checked against psych.
wide <- read.csv("reliability_wide_missing.csv")
cases[[length(cases) + 1]] <- case(
  "wide_missing_pairwise", wide,
  "R psych alpha(use = 'pairwise'); pingouin docs: cronbach_alpha(cronbach_wide_missing) = 0.732661, CI [0.435, 0.909]"
)
cases[[length(cases) + 1]] <- case(
  "wide_missing_listwise", na.omit(wide),
  "R psych alpha() on na.omit(); pingouin docs: nan_policy='listwise' alpha = 0.801695",
  nan_policy = "listwise",
  note = "pingouin's listwise CI [0.581, 0.933] uses all 12 rows for n; we (and this reference) use the 9 complete rows"
)
likert7 <- read.csv("reliability_likert7.csv")[, -1]
cases[[length(cases) + 1]] <- case(
  "likert7_complete", likert7,
  "R psych alpha(); pingouin docs: cronbach_alpha(cronbach_alpha data) = 0.591719, CI [0.195, 0.84]"
)

reference <- list(
  generated_by = "tests/expected/make_reliability_reference.R",
  r_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  cases = cases
)
writeLines(
  toJSON(reference, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
  "reliability_reference.json"
)
cat("wrote reliability_reference.json with", length(cases), "cases\n")
