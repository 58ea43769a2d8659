/*
 * nfq-delay: holds every packet of one NFQUEUE for a fixed time, then accepts it.
 *
 * `tools/rig/rig delay MS` runs one inside each test host's network namespace, fed by a
 * mangle/PREROUTING rule on the host's interface: incoming packets only, because holding packets
 * on the sending side throttles TCP. Packets leave in arrival order; on TERM every held packet is
 * released before exit, and the rule's --queue-bypass lets traffic through when nothing listens.
 *
 * Usage: nfq-delay QUEUE_NUMBER DELAY_MS
 * Build: gcc -O2 -o nfq-delay nfq-delay.c -lnetfilter_queue -lnfnetlink
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnfnetlink/libnfnetlink.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Packets held at once; past that a packet is accepted at once rather than dropped. */
#define HELD_CAPACITY 65536
#define RECEIVE_BUFFER_BYTES (16 * 1024 * 1024)

struct held_packet {
	uint32_t id;
	uint64_t due_ns;
};

static struct held_packet held[HELD_CAPACITY];
static size_t held_first, held_count;
static uint64_t delay_ns;
static volatile sig_atomic_t stop_requested;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
	fprintf(stderr, "nfq-delay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int hold_packet(struct nfq_q_handle *queue, struct nfgenmsg *msg, struct nfq_data *packet, void *unused)
{
	(void)msg;
	(void)unused;
	struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(packet);
	if (header == NULL)
		return 0;
	uint32_t id = ntohl(header->packet_id);
	if (held_count == HELD_CAPACITY)
		return nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL);
	held[(held_first + held_count) % HELD_CAPACITY] = (struct held_packet){ id, now_ns() + delay_ns };
	held_count++;
	return 0;
}

static void release_due(struct nfq_q_handle *queue, uint64_t now)
{
	while (held_count > 0 && held[held_first].due_ns <= now) {
		nfq_set_verdict(queue, held[held_first].id, NF_ACCEPT, 0, NULL);
		held_first = (held_first + 1) % HELD_CAPACITY;
		held_count--;
	}
}

/* Time until the oldest held packet is due; NULL (wait forever) when nothing is held. */
static struct timespec *time_to_next_release(struct timespec *ts)
{
	if (held_count == 0)
		return NULL;
	uint64_t now = now_ns(), due = held[held_first].due_ns;
	uint64_t wait = due > now ? due - now : 0;
	ts->tv_sec = (time_t)(wait / 1000000000u);
	ts->tv_nsec = (long)(wait % 1000000000u);
	return ts;
}

static void request_stop(int signal_number)
{
	(void)signal_number;
	stop_requested = 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: nfq-delay QUEUE_NUMBER DELAY_MS\n");
		return 2;
	}
	uint16_t queue_number = (uint16_t)strtoul(argv[1], NULL, 10);
	delay_ns = strtoull(argv[2], NULL, 10) * 1000000u;

	/* No SA_RESTART: a signal must interrupt ppoll so the loop sees stop_requested. */
	struct sigaction on_stop = { .sa_handler = request_stop };
	sigaction(SIGTERM, &on_stop, NULL);
	sigaction(SIGINT, &on_stop, NULL);

	struct nfq_handle *handle = nfq_open();
	if (handle == NULL)
		fail("nfq_open");
	struct nfq_q_handle *queue = nfq_create_queue(handle, queue_number, hold_packet, NULL);
	if (queue == NULL)
		fail("nfq_create_queue (is another program bound to this queue?)");
	if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0)
		fail("nfq_set_mode");
	nfq_set_queue_maxlen(queue, HELD_CAPACITY);
	nfq_set_queue_flags(queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);

	int fd = nfq_fd(handle);
	nfnl_rcvbufsiz(nfq_nfnlh(handle), RECEIVE_BUFFER_BYTES);
	int on = 1;
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);

	printf("nfq-delay: queue %u, %s ms, ready\n", queue_number, argv[2]);
	fflush(stdout);

	static char buffer[65536] __attribute__((aligned));
	while (!stop_requested) {
		struct timespec ts;
		struct pollfd readable = { .fd = fd, .events = POLLIN };
		int ready = ppoll(&readable, 1, time_to_next_release(&ts), NULL);
		if (ready < 0 && errno != EINTR)
			fail("ppoll");
		if (ready > 0) {
			for (;;) {
				ssize_t length = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
				if (length < 0) {
					if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
						break;
					if (errno == ENOBUFS)
						continue;
					fail("recv");
				}
				nfq_handle_packet(handle, buffer, (int)length);
			}
		}
		release_due(queue, now_ns());
	}

	release_due(queue, UINT64_MAX);
	nfq_destroy_queue(queue);
	nfq_close(handle);
	printf("nfq-delay: stopped\n");
	return 0;
}
