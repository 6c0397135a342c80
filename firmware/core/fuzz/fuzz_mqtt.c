/* libFuzzer harness for the MQTT codec's receive side: a byte stream from
 * a broker (or an attacker in its place) is framed and decoded packet by
 * packet with the node's receive cap.  A PUBLISH that decodes must encode
 * back to the very same bytes (lengths are minimal, flags exact). */
#include "mqtt_codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RX_CAP 1280

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t again[RX_CAP + 16];
        char topic[MQTT_TOPIC_MAX + 1];
        size_t off = 0;
        unsigned n;
        for (n = 0; n < 1000 && off < size; n++) {
                struct mqtt_packet p;
                size_t fl;
                int r = mqtt_frame(data + off, size - off, RX_CAP, &fl);
                if (r < 0)
                        break;
                if (fl > size - off || fl > RX_CAP)
                        abort();
                if (mqtt_decode(data + off, fl, &p) == 0 && p.type == MQTT_PUBLISH && p.qos < 2) {
                        int len;
                        if (p.topic < data + off || p.topic + p.topic_len > data + off + fl ||
                            p.payload + p.payload_len != data + off + fl)
                                abort();
                        memcpy(topic, p.topic, p.topic_len);
                        topic[p.topic_len] = '\0';
                        len = mqtt_enc_publish(again, sizeof(again), topic, p.payload,
                                               p.payload_len, p.qos, p.retain, p.dup, p.packet_id);
                        if (len != (int)fl || memcmp(again, data + off, fl) != 0)
                                abort();
                }
                off += fl;
        }
        return 0;
}
