"""The stages of a scan, one module each, in the order `syndup.scan` runs them.

    analyse      read, hash words and paragraphs      -> corpus.Corpus (texts on disk)
    boilerplate  learn recurring chrome               -> Boilerplate
    sign         shingles, MinHash, anchors           -> Signed (sets on disk)
    candidates   duplicates, LSH bands, anchors       -> Candidates
    verify       the relation rule, components        -> Verified
    separate     clusters of mutual copies, stories   -> Separated
    origins      each cluster's origin and rule       -> Origins
    cluster      cluster and story ids, relations     -> Clusters
    (syndup.tables builds the three tables from these)

Each stage is a function over the frozen handovers of the stages before it, a `Settings`, and an
`Execution` that decides where its work runs. What a stage computes lives in the core modules
(`shingle`, `boilerplate`, `sign`, `candidates`, `verify`, `cluster`), which `syndup.Index` calls too.
"""
