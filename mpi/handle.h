/*
 * handle.h - what other files of the MPI layer (checkpoint.c) need of an
 * open metall_mpi handle, whose struct is private to metall_mpi.c.
 */
#ifndef METALLC_MPI_HANDLE_H
#define METALLC_MPI_HANDLE_H

#include <metall/metall_mpi.h>

/* The handle's duplicated communicator and its node communicator. */
MPI_Comm mm_handle_comm(const metall_mpi *h);
MPI_Comm mm_handle_node(const metall_mpi *h);
/* The handle's pending asynchronous checkpoint (NULL: none). */
metall_mpi_request **mm_handle_pending(metall_mpi *h);
/* Finish h's pending checkpoint, if any: wait for every rank's part and
 * commit it; its request keeps the outcome for metall_mpi_checkpoint_wait().
 * Collective (every rank has the same pending state). Returns false with
 * the error set if it failed (checkpoint.c). */
bool mm_checkpoint_settle(metall_mpi *h);

#endif
