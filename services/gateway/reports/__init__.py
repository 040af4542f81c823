"""Reports written from the record: the post-incident report and the judgment report (pure templates)."""
