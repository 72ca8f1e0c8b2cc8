-- The word index also holds Hugging Face's keywords (ai_keywords): a change to them is a
-- change of the paper's words. The index's own format number makes it rebuild once.
DROP TRIGGER papers_words_update;
CREATE TRIGGER papers_words_update
AFTER UPDATE OF title, abstract, authors, ai_keywords, categories, published_at, github_repo
ON papers
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract
    OR old.authors IS NOT new.authors OR old.ai_keywords IS NOT new.ai_keywords
    OR old.categories IS NOT new.categories
    OR old.published_at IS NOT new.published_at OR old.github_repo IS NOT new.github_repo
BEGIN
    DELETE FROM paper_text_changes
        WHERE paper_key = (SELECT key FROM paper_keys WHERE paper_id = new.id);
    INSERT INTO paper_text_changes (paper_key) SELECT key FROM paper_keys WHERE paper_id = new.id;
END;
