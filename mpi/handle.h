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

#endif
