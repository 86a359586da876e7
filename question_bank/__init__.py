"""The question bank: models, import and export in every supported format, paper drawing by rules."""
