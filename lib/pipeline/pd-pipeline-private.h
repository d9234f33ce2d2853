/* pd-pipeline-private: what pd-pipeline.c and pd-explain.c share. */
#ifndef PD_PIPELINE_PRIVATE_H
#define PD_PIPELINE_PRIVATE_H

/* In-Reply-To plus the newest References looked up for threading: a peer
 * controls References, so the lookup is bounded. */
#define PD_PIPELINE_MAX_THREAD_CANDIDATES 20

#endif
