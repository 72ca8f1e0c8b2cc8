-- A member's model also weighs words and authors (search/member_words.py): JSON
-- {"terms": {word: weight}, "authors": {name: weight}}. NULL for models fitted before: they
-- score on vectors alone until their next refit.
ALTER TABLE member_models ADD COLUMN words TEXT;
