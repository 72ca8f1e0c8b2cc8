"""Find papers: lexical and semantic indexes fused into one ranking."""
